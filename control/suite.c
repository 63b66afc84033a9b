/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file suite.c
 * Tables of the cipher suites, groups and signature schemes we implement,
 * their lookups and the parsing of preference lists.
 */
#include "tg_suite.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tg_accel.h"

/*
 * Cipher suites. Key and IV lengths: RFC 5288 §3 (AES-GCM: key 16/32,
 * fixed_iv_length 4, record_iv_length 8), RFC 5289 §3.2 (ECDHE AES-GCM,
 * PRF SHA-256 or SHA-384 as the suite name says), RFC 7905 §2 (ChaCha20:
 * key 32, fixed_iv_length 12, record_iv_length 0, PRF SHA-256).
 */
static const struct tg_cs_info cs_table[] = {
	{ TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256, TG_KX_ECDHE_ECDSA,
	  TG_SUITE_AES128GCM, TG_HASH_SHA256, 16, 4, 8, true,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	  "ECDHE-ECDSA-AES128-GCM-SHA256" },
	{ TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256, TG_KX_ECDHE_ECDSA,
	  TG_SUITE_CHACHA20POLY1305, TG_HASH_SHA256, 32, 12, 0, true,
	  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	  "ECDHE-ECDSA-CHACHA20-POLY1305" },
	{ TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384, TG_KX_ECDHE_ECDSA,
	  TG_SUITE_AES256GCM, TG_HASH_SHA384, 32, 4, 8, true,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	  "ECDHE-ECDSA-AES256-GCM-SHA384" },
	{ TG_CS_ECDHE_RSA_AES_128_GCM_SHA256, TG_KX_ECDHE_RSA,
	  TG_SUITE_AES128GCM, TG_HASH_SHA256, 16, 4, 8, true,
	  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	  "ECDHE-RSA-AES128-GCM-SHA256" },
	{ TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256, TG_KX_ECDHE_RSA,
	  TG_SUITE_CHACHA20POLY1305, TG_HASH_SHA256, 32, 12, 0, true,
	  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	  "ECDHE-RSA-CHACHA20-POLY1305" },
	{ TG_CS_ECDHE_RSA_AES_256_GCM_SHA384, TG_KX_ECDHE_RSA,
	  TG_SUITE_AES256GCM, TG_HASH_SHA384, 32, 4, 8, true,
	  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	  "ECDHE-RSA-AES256-GCM-SHA384" },
	{ TG_CS_RSA_AES_128_GCM_SHA256, TG_KX_RSA, TG_SUITE_AES128GCM,
	  TG_HASH_SHA256, 16, 4, 8, false,
	  "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256" },
	{ TG_CS_RSA_AES_256_GCM_SHA384, TG_KX_RSA, TG_SUITE_AES256GCM,
	  TG_HASH_SHA384, 32, 4, 8, false,
	  "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384" },
};

#define CS_COUNT (sizeof(cs_table) / sizeof(cs_table[0]))
_Static_assert(CS_COUNT <= TG_CS_MAX, "TG_CS_MAX too small");

/* The table is already in default preference order. */
static const uint16_t cs_default[] = {
	TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256,
	TG_CS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
	TG_CS_ECDHE_ECDSA_AES_256_GCM_SHA384,
	TG_CS_ECDHE_RSA_AES_128_GCM_SHA256,
	TG_CS_ECDHE_RSA_CHACHA20_POLY1305_SHA256,
	TG_CS_ECDHE_RSA_AES_256_GCM_SHA384,
};

/*
 * TLS 1.3 cipher suites (RFC 8446 §B.4): the AEAD and the HKDF hash only;
 * key exchange and authentication are negotiated apart. IANA names,
 * which are also OpenSSL's.
 */
static const struct tg_cs13_info cs13_table[] = {
	{ TG_CS13_AES_128_GCM_SHA256, TG_SUITE_AES128GCM, TG_HASH_SHA256,
	  "TLS_AES_128_GCM_SHA256" },
	{ TG_CS13_CHACHA20_POLY1305_SHA256, TG_SUITE_CHACHA20POLY1305,
	  TG_HASH_SHA256, "TLS_CHACHA20_POLY1305_SHA256" },
	{ TG_CS13_AES_256_GCM_SHA384, TG_SUITE_AES256GCM, TG_HASH_SHA384,
	  "TLS_AES_256_GCM_SHA384" },
};

#define CS13_COUNT (sizeof(cs13_table) / sizeof(cs13_table[0]))

/* The table's order: as the TLS 1.2 default (AES-128-GCM, ChaCha20,
 * AES-256-GCM). */
static const uint16_t cs13_default[] = {
	TG_CS13_AES_128_GCM_SHA256,
	TG_CS13_CHACHA20_POLY1305_SHA256,
	TG_CS13_AES_256_GCM_SHA384,
};

/* Groups: RFC 8422 §5.4 (uncompressed point 1 + 2 * field length), §5.10
 * (the shared secret is the x-coordinate), RFC 7748 §6.1 (X25519). */
static const struct tg_group_info group_table[] = {
	{ TG_GROUP_X25519, 32, 32, "x25519", "X25519", NULL },
	{ TG_GROUP_SECP256R1, 65, 32, "secp256r1", "prime256v1", "P-256" },
	{ TG_GROUP_SECP384R1, 97, 48, "secp384r1", "secp384r1", "P-384" },
};

#define GROUP_COUNT (sizeof(group_table) / sizeof(group_table[0]))
_Static_assert(GROUP_COUNT <= TG_GROUP_MAX, "TG_GROUP_MAX too small");

static const uint16_t group_default[] = {
	TG_GROUP_X25519,
	TG_GROUP_SECP256R1,
	TG_GROUP_SECP384R1,
};

/* Signature schemes: RFC 8446 §4.2.3 names and codepoints (OpenSSL's
 * names for the two SHA-224 pairs, which RFC 8446 leaves unnamed). In
 * TLS 1.2 each is a (hash, signature) pair of RFC 5246 §7.4.1.4.1: the
 * ECDSA ones do not bind the curve (see tg_sig.h). */
static const struct tg_sigalg_info sigalg_table[] = {
	{ TG_SIG_ECDSA_SECP256R1_SHA256, TG_HASH_SHA256, TG_KEY_EC,
	  TG_SIGPAD_NONE, TG_GROUP_SECP256R1, "ecdsa_secp256r1_sha256" },
	{ TG_SIG_ECDSA_SECP384R1_SHA384, TG_HASH_SHA384, TG_KEY_EC,
	  TG_SIGPAD_NONE, TG_GROUP_SECP384R1, "ecdsa_secp384r1_sha384" },
	{ TG_SIG_ECDSA_SECP521R1_SHA512, TG_HASH_SHA512, TG_KEY_EC,
	  TG_SIGPAD_NONE, 25 /* secp521r1 */, "ecdsa_secp521r1_sha512" },
	{ TG_SIG_RSA_PSS_RSAE_SHA256, TG_HASH_SHA256, TG_KEY_RSA,
	  TG_SIGPAD_PSS, 0, "rsa_pss_rsae_sha256" },
	{ TG_SIG_RSA_PSS_RSAE_SHA384, TG_HASH_SHA384, TG_KEY_RSA,
	  TG_SIGPAD_PSS, 0, "rsa_pss_rsae_sha384" },
	{ TG_SIG_RSA_PSS_RSAE_SHA512, TG_HASH_SHA512, TG_KEY_RSA,
	  TG_SIGPAD_PSS, 0, "rsa_pss_rsae_sha512" },
	{ TG_SIG_RSA_PSS_PSS_SHA256, TG_HASH_SHA256, TG_KEY_RSA_PSS,
	  TG_SIGPAD_PSS, 0, "rsa_pss_pss_sha256" },
	{ TG_SIG_RSA_PSS_PSS_SHA384, TG_HASH_SHA384, TG_KEY_RSA_PSS,
	  TG_SIGPAD_PSS, 0, "rsa_pss_pss_sha384" },
	{ TG_SIG_RSA_PSS_PSS_SHA512, TG_HASH_SHA512, TG_KEY_RSA_PSS,
	  TG_SIGPAD_PSS, 0, "rsa_pss_pss_sha512" },
	{ TG_SIG_RSA_PKCS1_SHA256, TG_HASH_SHA256, TG_KEY_RSA,
	  TG_SIGPAD_PKCS1, 0, "rsa_pkcs1_sha256" },
	{ TG_SIG_RSA_PKCS1_SHA384, TG_HASH_SHA384, TG_KEY_RSA,
	  TG_SIGPAD_PKCS1, 0, "rsa_pkcs1_sha384" },
	{ TG_SIG_RSA_PKCS1_SHA512, TG_HASH_SHA512, TG_KEY_RSA,
	  TG_SIGPAD_PKCS1, 0, "rsa_pkcs1_sha512" },
	{ TG_SIG_ECDSA_SHA224, TG_HASH_SHA224, TG_KEY_EC, TG_SIGPAD_NONE, 0,
	  "ecdsa_sha224" },
	{ TG_SIG_RSA_PKCS1_SHA224, TG_HASH_SHA224, TG_KEY_RSA,
	  TG_SIGPAD_PKCS1, 0, "rsa_pkcs1_sha224" },
};

#define SIGALG_COUNT (sizeof(sigalg_table) / sizeof(sigalg_table[0]))
_Static_assert(SIGALG_COUNT <= TG_SIGALG_MAX, "TG_SIGALG_MAX too small");
_Static_assert(SIGALG_COUNT <= 32, "tg_sigalg_bit() sets are 32 bits");

/* The table's order. */
static const uint16_t sigalg_default[] = {
	TG_SIG_ECDSA_SECP256R1_SHA256, TG_SIG_ECDSA_SECP384R1_SHA384,
	TG_SIG_ECDSA_SECP521R1_SHA512, TG_SIG_RSA_PSS_RSAE_SHA256,
	TG_SIG_RSA_PSS_RSAE_SHA384,    TG_SIG_RSA_PSS_RSAE_SHA512,
	TG_SIG_RSA_PSS_PSS_SHA256,     TG_SIG_RSA_PSS_PSS_SHA384,
	TG_SIG_RSA_PSS_PSS_SHA512,     TG_SIG_RSA_PKCS1_SHA256,
	TG_SIG_RSA_PKCS1_SHA384,       TG_SIG_RSA_PKCS1_SHA512,
	TG_SIG_ECDSA_SHA224,           TG_SIG_RSA_PKCS1_SHA224,
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

size_t tg_hash_len(enum tg_hash h)
{
	switch (h) {
	case TG_HASH_SHA256:
		return 32;
	case TG_HASH_SHA384:
		return 48;
	case TG_HASH_SHA512:
		return 64;
	case TG_HASH_SHA224:
		return 28;
	default:
		return 0;
	}
}

const char *tg_hash_name(enum tg_hash h)
{
	switch (h) {
	case TG_HASH_SHA256:
		return "SHA256";
	case TG_HASH_SHA384:
		return "SHA384";
	case TG_HASH_SHA512:
		return "SHA512";
	case TG_HASH_SHA224:
		return "SHA224";
	default:
		return NULL;
	}
}

const struct tg_cs_info *tg_cs_by_id(uint16_t id)
{
	for (size_t i = 0; i < CS_COUNT; i++)
		if (cs_table[i].id == id)
			return &cs_table[i];
	return NULL;
}

const struct tg_cs_info *tg_cs_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < CS_COUNT; i++)
		if (strcasecmp(cs_table[i].iana, name) == 0 ||
		    strcasecmp(cs_table[i].ossl, name) == 0)
			return &cs_table[i];
	return NULL;
}

const struct tg_cs_info *tg_cs_at(size_t idx)
{
	return idx < CS_COUNT ? &cs_table[idx] : NULL;
}

size_t tg_cs_count(void)
{
	return CS_COUNT;
}

size_t tg_cs_default(const uint16_t **out)
{
	*out = cs_default;
	return ARRAY_LEN(cs_default);
}

const struct tg_cs13_info *tg_cs13_by_id(uint16_t id)
{
	for (size_t i = 0; i < CS13_COUNT; i++)
		if (cs13_table[i].id == id)
			return &cs13_table[i];
	return NULL;
}

const struct tg_cs13_info *tg_cs13_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < CS13_COUNT; i++)
		if (strcasecmp(cs13_table[i].name, name) == 0)
			return &cs13_table[i];
	return NULL;
}

size_t tg_cs13_default(const uint16_t **out)
{
	*out = cs13_default;
	return ARRAY_LEN(cs13_default);
}

const char *tg_cs_name(uint16_t id)
{
	const struct tg_cs_info *c = tg_cs_by_id(id);
	const struct tg_cs13_info *c13 = tg_cs13_by_id(id);

	return c ? c->ossl : c13 ? c13->name : NULL;
}

const struct tg_group_info *tg_group_by_id(uint16_t id)
{
	for (size_t i = 0; i < GROUP_COUNT; i++)
		if (group_table[i].id == id)
			return &group_table[i];
	return NULL;
}

const struct tg_group_info *tg_group_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < GROUP_COUNT; i++) {
		const struct tg_group_info *g = &group_table[i];

		if (strcasecmp(g->name, name) == 0 ||
		    strcasecmp(g->ossl, name) == 0 ||
		    (g->alias != NULL && strcasecmp(g->alias, name) == 0))
			return g;
	}
	return NULL;
}

size_t tg_group_default(const uint16_t **out)
{
	*out = group_default;
	return ARRAY_LEN(group_default);
}

const struct tg_sigalg_info *tg_sigalg_by_id(uint16_t id)
{
	for (size_t i = 0; i < SIGALG_COUNT; i++)
		if (sigalg_table[i].id == id)
			return &sigalg_table[i];
	return NULL;
}

const struct tg_sigalg_info *tg_sigalg_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < SIGALG_COUNT; i++)
		if (strcasecmp(sigalg_table[i].name, name) == 0)
			return &sigalg_table[i];
	return NULL;
}

size_t tg_sigalg_default(const uint16_t **out)
{
	*out = sigalg_default;
	return ARRAY_LEN(sigalg_default);
}

uint32_t tg_sigalg_bit(uint16_t id)
{
	/* every scheme we have is 0x03xx..0x08xx: most of a long list of
	 * others is passed over without a look at the table */
	if ((id >> 8) < 0x03 || (id >> 8) > 0x08)
		return 0;
	for (size_t i = 0; i < SIGALG_COUNT; i++)
		if (sigalg_table[i].id == id)
			return (uint32_t)1 << i;
	return 0;
}

uint32_t tg_sigalg_set(const uint16_t *ids, size_t n)
{
	uint32_t set = 0;

	for (size_t i = 0; ids != NULL && i < n; i++)
		set |= tg_sigalg_bit(ids[i]);
	return set;
}

/* Codepoint for a name, or -1 when unknown. */
typedef int (*lookup_fn)(const char *name);

static int cs_lookup(const char *name)
{
	const struct tg_cs_info *c = tg_cs_by_name(name);

	return c ? c->id : -1;
}

static int cs13_lookup(const char *name)
{
	const struct tg_cs13_info *c = tg_cs13_by_name(name);

	return c ? c->id : -1;
}

static int group_lookup(const char *name)
{
	const struct tg_group_info *g = tg_group_by_name(name);

	return g ? g->id : -1;
}

static int sigalg_lookup(const char *name)
{
	const struct tg_sigalg_info *s = tg_sigalg_by_name(name);

	return s ? s->id : -1;
}

static bool is_sep(char c)
{
	return c == ':' || c == ',' || c == ' ' || c == '\t';
}

/* Longest name we accept in a list (longer ones are unknown anyway). */
#define NAME_MAX_LEN 64

/*
 * Shared parser: split @p list on separators, look each name up, reject
 * unknown names and duplicates with a message naming the entry.
 */
static TG_MUST_CHECK tg_result parse_list(const char *what, lookup_fn lookup,
			    const char *list, uint16_t *out, size_t cap,
			    size_t *n, char *err, size_t err_len)
{
	const char *p = list;
	size_t count = 0;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	TG_ENSURE(list != NULL && out != NULL && n != NULL, TG_E_INVAL);
	*n = 0;
	for (;;) {
		char name[NAME_MAX_LEN + 1];
		size_t len = 0;
		int id;

		while (*p != '\0' && is_sep(*p))
			p++;
		if (*p == '\0')
			break;
		while (p[len] != '\0' && !is_sep(p[len]))
			len++;
		if (len > NAME_MAX_LEN) {
			if (err != NULL)
				snprintf(err, err_len, "unknown %s '%.*s...'",
					 what, 32, p);
			return tg_error(TG_E_NOTFOUND);
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		id = lookup(name);
		if (id < 0) {
			if (err != NULL)
				snprintf(err, err_len, "unknown %s '%s'", what,
					 name);
			return tg_error(TG_E_NOTFOUND);
		}
		for (size_t i = 0; i < count; i++) {
			if (out[i] == (uint16_t)id) {
				if (err != NULL)
					snprintf(err, err_len,
						 "duplicate %s '%s'", what,
						 name);
				return tg_error(TG_E_INVAL);
			}
		}
		if (count == cap) {
			if (err != NULL)
				snprintf(err, err_len, "too many %s entries",
					 what);
			return tg_error(TG_E_NOSPACE);
		}
		out[count++] = (uint16_t)id;
	}
	if (count == 0) {
		if (err != NULL)
			snprintf(err, err_len, "empty %s list", what);
		return tg_error(TG_E_INVAL);
	}
	*n = count;
	return TG_OK;
}

tg_result tg_cs_parse_list(const char *list, uint16_t *out, size_t cap,
			   size_t *n, char *err, size_t err_len)
{
	return parse_list("cipher suite", cs_lookup, list, out, cap, n, err,
			  err_len);
}

tg_result tg_cs13_parse_list(const char *list, uint16_t *out, size_t cap,
			     size_t *n, char *err, size_t err_len)
{
	return parse_list("TLS 1.3 cipher suite", cs13_lookup, list, out, cap,
			  n, err, err_len);
}

tg_result tg_group_parse_list(const char *list, uint16_t *out, size_t cap,
			      size_t *n, char *err, size_t err_len)
{
	return parse_list("group", group_lookup, list, out, cap, n, err,
			  err_len);
}

tg_result tg_sigalg_parse_list(const char *list, uint16_t *out, size_t cap,
			       size_t *n, char *err, size_t err_len)
{
	return parse_list("signature algorithm", sigalg_lookup, list, out, cap,
			  n, err, err_len);
}

tg_result tg_version_parse_list(const char *list, unsigned *out, char *err,
				size_t err_len)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "TLSv1.2", 1 }, { "TLS1.2", 1 }, { "1.2", 1 },
		{ "TLSv1.3", 2 }, { "TLS1.3", 2 }, { "1.3", 2 },
	};
	const char *p = list;
	unsigned set = 0;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	TG_ENSURE(list != NULL && out != NULL, TG_E_INVAL);
	for (;;) {
		size_t len = 0;
		unsigned bit = 0;

		while (*p != '\0' && is_sep(*p))
			p++;
		if (*p == '\0')
			break;
		while (p[len] != '\0' && !is_sep(p[len]))
			len++;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len &&
			    strncasecmp(names[i].name, p, len) == 0)
				bit = names[i].bit;
		if (bit == 0) {
			if (err != NULL)
				snprintf(err, err_len, "unknown version '%.*s'",
					 (int)(len > 32 ? 32 : len), p);
			return tg_error(TG_E_NOTFOUND);
		}
		if (set & bit) {
			if (err != NULL)
				snprintf(err, err_len, "duplicate version '%.*s'",
					 (int)(len > 32 ? 32 : len), p);
			return tg_error(TG_E_INVAL);
		}
		set |= bit;
		p += len;
	}
	if (set == 0) {
		if (err != NULL)
			snprintf(err, err_len, "empty version list");
		return tg_error(TG_E_INVAL);
	}
	*out = set;
	return TG_OK;
}
