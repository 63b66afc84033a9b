/* SPDX-License-Identifier: BSD-3-Clause */
/* Server certificates with SNI selection; peer chain verification. */
#include "tg_cert.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tg_log.h"
#include "tg_wipe.h"

/* Most names one certificate contributes to the SNI index. */
#define TG_CERT_MAX_NAMES 1024

struct tg_cert {
	char *path;
	X509 *leaf;
	EVP_PKEY *pkey;
	enum tg_cert_key kt;
	bool is_default;
	size_t nchain;
	struct tg_der der[TG_CERT_MAX_CHAIN];
	size_t nnames;
	char **names;
};

struct sni_ent {
	const char *name;
	size_t idx; /* into certs[] */
};

struct tg_cert_store {
	atomic_uint refs;
	unsigned flags;
	size_t n, cap;
	struct tg_cert **certs;
	size_t nidx, idxcap;
	struct sni_ent *idx;
	/* the candidates without a matching SNI (store_defaults) */
	size_t ndflt;
	size_t dflt[TG_CERT_MAX_CANDIDATES];
};

struct tg_ca {
	X509_STORE *store;
	size_t nnames;
	struct tg_der *names;
	uint8_t id[TG_CA_ID_LEN]; /* tg_ca_id() */
};

/* ---- helpers ---- */

static void ossl_log_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		TG_DEBUG("%s: %s", what, buf);
	}
}

/* Open a file as a BIO, logging errno on failure. */
static TG_MUST_CHECK tg_result open_bio(const char *path, const char *what, BIO **out)
{
	FILE *f;

	*out = NULL; /* on every path, failures included */
	TG_ENSURE(path != NULL, TG_E_INVAL);
	f = fopen(path, "r");
	if (f == NULL) {
		TG_ERR("%s %s: %s", what, path, strerror(errno));
		return tg_error(TG_E_IO);
	}
	*out = BIO_new_fp(f, BIO_CLOSE);
	if (*out == NULL) {
		fclose(f);
		return tg_error(TG_E_NOMEM);
	}
	return TG_OK;
}

enum tg_cert_key tg_cert_key_of(const EVP_PKEY *pk)
{
	char grp[64];
	size_t len = 0;

	if (pk == NULL)
		return TG_CERT_KEY_NONE;
	if (EVP_PKEY_is_a(pk, "RSA"))
		return TG_CERT_KEY_RSA;
	if (EVP_PKEY_is_a(pk, "RSA-PSS"))
		return TG_CERT_KEY_RSA_PSS;
	if (!EVP_PKEY_is_a(pk, "EC") ||
	    EVP_PKEY_get_group_name(pk, grp, sizeof(grp), &len) != 1)
		return TG_CERT_KEY_NONE;
	if (strcmp(grp, "prime256v1") == 0 || strcmp(grp, "P-256") == 0)
		return TG_CERT_KEY_EC_P256;
	if (strcmp(grp, "secp384r1") == 0 || strcmp(grp, "P-384") == 0)
		return TG_CERT_KEY_EC_P384;
	return TG_CERT_KEY_NONE;
}

/*
 * Normalise a DNS name (lower case) into out[TG_CERT_NAME_MAX + 1].
 * Printable ASCII only, no empty label at the start, '*' only as a whole
 * left-most label followed by at least two labels ("*.example.com").
 */
static bool dns_name_norm(const unsigned char *in, size_t len, bool allow_wild,
			  char *out)
{
	if (len == 0 || len > TG_CERT_NAME_MAX || in[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = in[i];

		if (ch <= 0x20 || ch >= 0x7f)
			return false;
		if (ch == '*' && !(allow_wild && i == 0 && len > 2 &&
				   in[1] == '.'))
			return false;
		out[i] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
	}
	out[len] = '\0';
	if (out[0] == '*') {
		const char *dot = strchr(out + 2, '.');

		/* "*.com" would cover a whole TLD: refused */
		if (out[2] == '.' || dot == NULL || dot[1] == '\0')
			return false;
	}
	return true;
}

static TG_MUST_CHECK tg_result cert_add_name(struct tg_cert *c, const unsigned char *p,
			       size_t len)
{
	char norm[TG_CERT_NAME_MAX + 1];
	char **nn;

	if (!dns_name_norm(p, len, true, norm)) {
		TG_WARN("certificate %s: ignoring name '%.*s' (not a usable "
			"DNS name)", c->path, (int)(len > 64 ? 64 : len),
			(const char *)p);
		return TG_OK;
	}
	for (size_t i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], norm) == 0)
			return TG_OK;
	TG_ENSURE(c->nnames < TG_CERT_MAX_NAMES, TG_E_INVAL);
	nn = realloc(c->names, (c->nnames + 1) * sizeof(*nn));
	TG_ENSURE(nn != NULL, TG_E_NOMEM);
	c->names = nn;
	c->names[c->nnames] = strdup(norm);
	TG_ENSURE(c->names[c->nnames] != NULL, TG_E_NOMEM);
	c->nnames++;
	return TG_OK;
}

/* SAN dNSName entries; the subject CN only when there are none. */
static TG_MUST_CHECK tg_result cert_collect_names(struct tg_cert *c)
{
	GENERAL_NAMES *gens;
	bool have_dns = false;
	tg_result r = TG_OK;

	gens = X509_get_ext_d2i(c->leaf, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);

		if (gn->type != GEN_DNS)
			continue;
		have_dns = true;
		r = cert_add_name(c, ASN1_STRING_get0_data(gn->d.dNSName),
				  (size_t)ASN1_STRING_length(gn->d.dNSName));
		if (tg_failed(r))
			break;
	}
	GENERAL_NAMES_free(gens);
	TG_GUARD(r);
	if (!have_dns) {
		const X509_NAME *subj = X509_get_subject_name(c->leaf);
		int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
		unsigned char *utf8 = NULL;
		int len;

		if (i < 0)
			return TG_OK;
		len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
				X509_NAME_get_entry(subj, i)));
		if (len > 0)
			r = cert_add_name(c, utf8, (size_t)len);
		OPENSSL_free(utf8);
	}
	return r;
}

/* ---- certificate loading ---- */

struct pw_probe {
	bool asked;
};

static int pw_refuse(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	((struct pw_probe *)u)->asked = true;
	return -1;
}

static TG_MUST_CHECK tg_result load_chain(struct tg_cert *c, const char *path)
{
	BIO *bio = NULL;
	X509 *x;
	unsigned long e;

	TG_GUARD(open_bio(path, "certificate file", &bio));
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL;
		int len;

		if (c->nchain == TG_CERT_MAX_CHAIN) {
			X509_free(x);
			BIO_free(bio);
			TG_ERR("certificate file %s: more than %d certificates",
			       path, TG_CERT_MAX_CHAIN);
			return tg_error(TG_E_INVAL);
		}
		len = i2d_X509(x, &der);
		if (len <= 0) {
			X509_free(x);
			BIO_free(bio);
			return tg_error(TG_E_NOMEM);
		}
		c->der[c->nchain].p = der;
		c->der[c->nchain].len = (size_t)len;
		c->nchain++;
		if (c->leaf == NULL)
			c->leaf = x;
		else
			X509_free(x);
	}
	BIO_free(bio);
	e = ERR_peek_last_error();
	if (c->nchain == 0 || ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		ossl_log_errors(path);
		ERR_clear_error();
		TG_ERR("certificate file %s: %s", path,
		       c->nchain == 0 ? "no PEM certificate found"
				      : "malformed PEM certificate");
		return tg_error(TG_E_DECODE);
	}
	ERR_clear_error();
	return TG_OK;
}

static TG_MUST_CHECK tg_result load_key(struct tg_cert *c, const char *path)
{
	struct pw_probe probe = { false };
	BIO *bio = NULL;

	TG_GUARD(open_bio(path, "key file", &bio));
	ERR_clear_error();
	c->pkey = PEM_read_bio_PrivateKey(bio, NULL, pw_refuse, &probe);
	BIO_free(bio);
	if (c->pkey == NULL) {
		ossl_log_errors(path);
		ERR_clear_error();
		if (probe.asked) {
			TG_ERR("key file %s: encrypted private keys are not "
			       "supported (decrypt it: openssl pkey -in %s "
			       "-out plain.key)", path, path);
			return tg_error(TG_E_UNSUPPORTED);
		}
		TG_ERR("key file %s: no PEM private key found", path);
		return tg_error(TG_E_DECODE);
	}
	c->kt = tg_cert_key_of(c->pkey);
	if (c->kt == TG_CERT_KEY_NONE) {
		TG_ERR("key file %s: key type %s not supported (RSA, "
		       "RSASSA-PSS, EC P-256 or P-384)",
		       path, EVP_PKEY_get0_type_name(c->pkey));
		return tg_error(TG_E_UNSUPPORTED);
	}
	return TG_OK;
}

tg_result tg_cert_load(const char *chain_pem, const char *key_pem,
		       struct tg_cert **out)
{
	struct tg_cert *c;
	tg_result r;

	TG_ENSURE_REF(out);
	*out = NULL;
	TG_ENSURE(chain_pem != NULL && key_pem != NULL, TG_E_INVAL);
	c = calloc(1, sizeof(*c));
	TG_ENSURE(c != NULL, TG_E_NOMEM);
	c->path = strdup(chain_pem);
	r = c->path != NULL ? TG_OK : tg_error(TG_E_NOMEM);
	if (tg_ok(r))
		r = load_chain(c, chain_pem);
	if (tg_ok(r))
		r = load_key(c, key_pem);
	if (tg_ok(r) && X509_check_private_key(c->leaf, c->pkey) != 1) {
		ossl_log_errors(key_pem);
		ERR_clear_error();
		TG_ERR("key file %s does not match the certificate in %s",
		       key_pem, chain_pem);
		r = tg_error(TG_E_INVAL);
	}
	if (tg_ok(r))
		r = cert_collect_names(c);
	if (tg_failed(r)) {
		tg_cert_free(c);
		return r;
	}
	if (X509_cmp_time(X509_get0_notAfter(c->leaf), NULL) < 0)
		TG_WARN("certificate %s has expired", chain_pem);
	*out = c;
	return TG_OK;
}

void tg_cert_free(struct tg_cert *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nchain; i++)
		OPENSSL_free((void *)c->der[i].p);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	X509_free(c->leaf);
	EVP_PKEY_free(c->pkey); /* clears its key material */
	free(c->path);
	free(c);
}

enum tg_cert_key tg_cert_key_type(const struct tg_cert *c)
{
	return c->kt;
}

EVP_PKEY *tg_cert_pkey(const struct tg_cert *c)
{
	return c->pkey;
}

X509 *tg_cert_leaf(const struct tg_cert *c)
{
	return c->leaf;
}

const struct tg_der *tg_cert_chain(const struct tg_cert *c, size_t *n)
{
	*n = c->nchain;
	return c->der;
}

size_t tg_cert_name_count(const struct tg_cert *c)
{
	return c->nnames;
}

const char *tg_cert_name(const struct tg_cert *c, size_t i)
{
	return i < c->nnames ? c->names[i] : NULL;
}

const char *tg_cert_path(const struct tg_cert *c)
{
	return c->path;
}

/* ---- store ---- */

tg_result tg_cert_store_new(unsigned flags, struct tg_cert_store **out)
{
	struct tg_cert_store *s;

	TG_ENSURE_REF(out);
	TG_ENSURE((flags & ~(unsigned)TG_CERT_STORE_STRICT_SNI) == 0,
		  TG_E_INVAL);
	s = calloc(1, sizeof(*s));
	TG_ENSURE(s != NULL, TG_E_NOMEM);
	atomic_init(&s->refs, 1);
	s->flags = flags;
	*out = s;
	return TG_OK;
}

static int sni_ent_cmp(const void *a, const void *b)
{
	const struct sni_ent *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	if (d)
		return d;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool dflt_has(const struct tg_cert_store *s, size_t idx)
{
	for (size_t i = 0; i < s->ndflt; i++)
		if (s->dflt[i] == idx)
			return true;
	return false;
}

/* Whether certificates @p a and @p b answer to a name in common. */
static bool share_name(const struct tg_cert *a, const struct tg_cert *b)
{
	for (size_t i = 0; i < a->nnames; i++)
		for (size_t j = 0; j < b->nnames; j++)
			if (strcmp(a->names[i], b->names[j]) == 0)
				return true;
	return false;
}

/*
 * The candidates for a ClientHello without SNI, or with a name nothing
 * matches (RFC 6066 §3 leaves that choice to the server): the default
 * certificates (the marked ones, else the first loaded), then, in load
 * order, every other certificate loaded for one of their names. A site
 * usually has an ECDSA and an RSA certificate for the same names; nginx
 * and HAProxy offer both to a client without SNI, and so do we: the
 * engine picks by what the client offers. Recomputed at each add (the
 * store is not shared yet), so selection costs nothing.
 */
static void store_defaults(struct tg_cert_store *s)
{
	size_t base;

	s->ndflt = 0;
	for (size_t i = 0; i < s->n && s->ndflt < TG_CERT_MAX_CANDIDATES; i++)
		if (s->certs[i]->is_default)
			s->dflt[s->ndflt++] = i;
	if (s->ndflt == 0 && s->n > 0 && !(s->flags & TG_CERT_STORE_STRICT_SNI))
		s->dflt[s->ndflt++] = 0;
	base = s->ndflt;
	for (size_t i = 0; i < s->n && s->ndflt < TG_CERT_MAX_CANDIDATES; i++) {
		if (dflt_has(s, i))
			continue;
		for (size_t d = 0; d < base; d++) {
			if (share_name(s->certs[s->dflt[d]], s->certs[i])) {
				s->dflt[s->ndflt++] = i;
				break;
			}
		}
	}
}

tg_result tg_cert_store_add(struct tg_cert_store *s, struct tg_cert *c,
			    bool is_default)
{
	tg_result r = TG_OK;

	if (s == NULL || c == NULL) {
		tg_cert_free(c);
		return tg_error(TG_E_INVAL);
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct tg_cert **nc = realloc(s->certs, cap * sizeof(*nc));

		if (nc == NULL)
			r = tg_error(TG_E_NOMEM);
		else {
			s->certs = nc;
			s->cap = cap;
		}
	}
	if (tg_ok(r) && s->nidx + c->nnames > s->idxcap) {
		size_t cap = 2 * (s->nidx + c->nnames);
		struct sni_ent *ni = realloc(s->idx, cap * sizeof(*ni));

		if (ni == NULL)
			r = tg_error(TG_E_NOMEM);
		else {
			s->idx = ni;
			s->idxcap = cap;
		}
	}
	if (tg_failed(r)) {
		tg_cert_free(c);
		return r;
	}
	c->is_default = is_default;
	for (size_t i = 0; i < c->nnames; i++)
		s->idx[s->nidx++] = (struct sni_ent){ c->names[i], s->n };
	s->certs[s->n++] = c;
	qsort(s->idx, s->nidx, sizeof(*s->idx), sni_ent_cmp);
	store_defaults(s);
	return TG_OK;
}

tg_result tg_cert_store_load(struct tg_cert_store *s, const char *chain_pem,
			     const char *key_pem, bool is_default)
{
	struct tg_cert *c;

	TG_ENSURE_REF(s);
	TG_GUARD(tg_cert_load(chain_pem, key_pem, &c));
	return tg_cert_store_add(s, c, is_default);
}

size_t tg_cert_store_count(const struct tg_cert_store *s)
{
	return s->n;
}

struct tg_cert_store *tg_cert_store_ref(struct tg_cert_store *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void tg_cert_store_unref(struct tg_cert_store *s)
{
	if (s == NULL ||
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < s->n; i++)
		tg_cert_free(s->certs[i]);
	free(s->certs);
	free(s->idx);
	free(s);
}

/* Append every certificate indexed under @name to @m. */
static void store_lookup(const struct tg_cert_store *s, const char *name,
			 struct tg_cert_match *m)
{
	size_t lo = 0, hi = s->nidx;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->idx[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->nidx && strcmp(s->idx[lo].name, name) == 0; lo++)
		if (m->n < TG_CERT_MAX_CANDIDATES)
			m->c[m->n++] = s->certs[s->idx[lo].idx];
}

tg_result tg_cert_store_select(const struct tg_cert_store *s, const char *sni,
			       size_t sni_len, struct tg_cert_match *m)
{
	char name[TG_CERT_NAME_MAX + 1];

	TG_ENSURE_REF(s);
	TG_ENSURE_REF(m);
	memset(m, 0, sizeof(*m));
	if (sni != NULL &&
	    dns_name_norm((const unsigned char *)sni, sni_len, false, name)) {
		const char *dot = strchr(name, '.');

		m->kind = TG_CERT_MATCH_EXACT;
		store_lookup(s, name, m);
		if (m->n)
			return TG_OK;
		if (dot != NULL && dot != name) {
			/* "a.example.com" -> "*.example.com" */
			char *w = (char *)dot - 1;

			*w = '*';
			m->kind = TG_CERT_MATCH_WILDCARD;
			store_lookup(s, w, m);
			if (m->n)
				return TG_OK;
		}
	}
	m->kind = TG_CERT_MATCH_DEFAULT;
	for (size_t i = 0; i < s->ndflt; i++)
		m->c[m->n++] = s->certs[s->dflt[i]];
	if (m->n)
		return TG_OK;
	return tg_error(sni != NULL ? TG_E_UNRECOGNIZED_NAME
				    : TG_E_HANDSHAKE_FAIL);
}

const struct tg_cert *tg_cert_match_pick(const struct tg_cert_match *m,
					 tg_cert_pred pred, void *arg)
{
	if (m == NULL || pred == NULL)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (pred(m->c[i], arg))
			return m->c[i];
	return NULL;
}

static const struct tg_cert *pick_first(const struct tg_cert_match *m,
					bool ecdsa)
{
	for (size_t i = 0; i < m->n; i++) {
		bool is_ec = m->c[i]->kt == TG_CERT_KEY_EC_P256 ||
			     m->c[i]->kt == TG_CERT_KEY_EC_P384;

		if (is_ec == ecdsa)
			return m->c[i];
	}
	return NULL;
}

const struct tg_cert *tg_cert_match_pick_kt(const struct tg_cert_match *m,
					    bool ecdsa_ok, bool rsa_ok,
					    bool prefer_ecdsa)
{
	const struct tg_cert *c = NULL;

	if (m == NULL)
		return NULL;
	if (ecdsa_ok && prefer_ecdsa)
		c = pick_first(m, true);
	if (c == NULL && rsa_ok)
		c = pick_first(m, false);
	if (c == NULL && ecdsa_ok)
		c = pick_first(m, true);
	return c;
}

/* ---- trust anchors ---- */

/* The names of the CA file's certificates, and their DER into @p md
 * (the set's identity). */
static TG_MUST_CHECK tg_result ca_collect_names(struct tg_ca *ca, const char *path,
						EVP_MD_CTX *md)
{
	BIO *bio = NULL;
	X509 *x;
	tg_result r = TG_OK;

	TG_GUARD(open_bio(path, "CA file", &bio));
	while (tg_ok(r) &&
	       (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL, *cert = NULL;
		int len = i2d_X509_NAME(X509_get_subject_name(x), &der);
		int clen = i2d_X509(x, &cert);
		struct tg_der *nn;

		X509_free(x);
		if (clen <= 0 || EVP_DigestUpdate(md, cert, (size_t)clen) != 1) {
			OPENSSL_free(cert);
			OPENSSL_free(der);
			r = tg_error(TG_E_CRYPTO);
			break;
		}
		OPENSSL_free(cert);
		if (len <= 0) {
			r = tg_error(TG_E_NOMEM);
			break;
		}
		nn = realloc(ca->names, (ca->nnames + 1) * sizeof(*nn));
		if (nn == NULL) {
			OPENSSL_free(der);
			r = tg_error(TG_E_NOMEM);
			break;
		}
		ca->names = nn;
		ca->names[ca->nnames].p = der;
		ca->names[ca->nnames].len = (size_t)len;
		ca->nnames++;
	}
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

tg_result tg_ca_load(const char *ca_file, const char *ca_dir,
		     struct tg_ca **out)
{
	struct tg_ca *ca;
	struct stat sb;
	tg_result r = TG_OK;
	EVP_MD_CTX *md;
	uint8_t h[EVP_MAX_MD_SIZE];

	TG_ENSURE_REF(out);
	*out = NULL;
	TG_ENSURE(ca_file != NULL || ca_dir != NULL, TG_E_INVAL);
	ca = calloc(1, sizeof(*ca));
	TG_ENSURE(ca != NULL, TG_E_NOMEM);
	ca->store = X509_STORE_new();
	md = EVP_MD_CTX_new();
	if (ca->store == NULL || md == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		r = tg_error(TG_E_NOMEM);
	ERR_clear_error();
	if (tg_ok(r) && ca_file != NULL) {
		r = ca_collect_names(ca, ca_file, md);
		if (tg_ok(r) && X509_STORE_load_file(ca->store, ca_file) != 1) {
			ossl_log_errors(ca_file);
			TG_ERR("CA file %s: no PEM certificate could be "
			       "loaded", ca_file);
			r = tg_error(TG_E_DECODE);
		}
	}
	if (tg_ok(r) && ca_dir != NULL) {
		int rc = stat(ca_dir, &sb);

		if (rc != 0 || !S_ISDIR(sb.st_mode)) {
			TG_ERR("CA directory %s: %s", ca_dir,
			       rc != 0 ? strerror(errno) : "not a directory");
			r = tg_error(TG_E_IO);
		} else if (EVP_DigestUpdate(md, ca_dir, strlen(ca_dir) + 1) != 1) {
			r = tg_error(TG_E_CRYPTO);
		} else if (X509_STORE_load_path(ca->store, ca_dir) != 1) {
			ossl_log_errors(ca_dir);
			TG_ERR("CA directory %s: cannot be used", ca_dir);
			r = tg_error(TG_E_DECODE);
		}
	}
	if (tg_ok(r) && EVP_DigestFinal_ex(md, h, NULL) != 1)
		r = tg_error(TG_E_CRYPTO);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (tg_failed(r)) {
		tg_ca_free(ca);
		return r;
	}
	memcpy(ca->id, h, sizeof(ca->id));
	*out = ca;
	return TG_OK;
}

void tg_ca_id(const struct tg_ca *ca, uint8_t out[TG_CA_ID_LEN])
{
	memcpy(out, ca->id, TG_CA_ID_LEN);
}

void tg_ca_free(struct tg_ca *ca)
{
	if (ca == NULL)
		return;
	for (size_t i = 0; i < ca->nnames; i++)
		OPENSSL_free((void *)ca->names[i].p);
	free(ca->names);
	X509_STORE_free(ca->store);
	free(ca);
}

const struct tg_der *tg_ca_names(const struct tg_ca *ca, size_t *n)
{
	*n = ca->nnames;
	return ca->names;
}

/* ---- verification ---- */

int tg_cert_map_verify_error(int e)
{
	switch (e) {
	case X509_V_OK:
		return TG_E_OK;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return TG_E_CERT_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_INVALID_CA:
		return TG_E_UNKNOWN_CA;
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
	case X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM:
		return TG_E_UNSUPPORTED_CERT;
	case X509_V_ERR_OUT_OF_MEM:
		return TG_E_NOMEM;
	default:
		/* not yet valid, bad signature, host mismatch, revoked,
		 * path too long, malformed extensions... */
		return TG_E_BAD_CERT;
	}
}

static bool is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

static TG_MUST_CHECK tg_result verify_params(X509_STORE_CTX *ctx,
			       enum tg_verify_purpose purpose,
			       const char *host, time_t at)
{
	X509_VERIFY_PARAM *vp;

	/* ssl_server: the chain of a server (sslserver purpose and trust) */
	TG_ENSURE(X509_STORE_CTX_set_default(ctx, purpose == TG_VERIFY_SERVER
							  ? "ssl_server"
							  : "ssl_client") == 1,
		  TG_E_INTERNAL);
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_depth(vp, TG_CERT_MAX_CHAIN);
	X509_VERIFY_PARAM_set_auth_level(vp, 2);
	if (at != 0)
		X509_VERIFY_PARAM_set_time(vp, at);
	if (host != NULL) {
		if (is_ip_literal(host)) {
			TG_ENSURE(X509_VERIFY_PARAM_set1_ip_asc(vp, host) == 1,
				  TG_E_INVAL);
		} else {
			X509_VERIFY_PARAM_set_hostflags(
				vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			TG_ENSURE(X509_VERIFY_PARAM_set1_host(vp, host, 0) == 1,
				  TG_E_INVAL);
		}
	}
	return TG_OK;
}

tg_result tg_cert_verify(const struct tg_ca *ca, const struct tg_der *chain,
			 size_t n, enum tg_verify_purpose purpose,
			 const char *host, time_t at, EVP_PKEY **key_out,
			 int *x509_err)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *leaf = NULL;
	tg_result r = TG_OK;
	int err = X509_V_OK;

	if (key_out)
		*key_out = NULL;
	if (x509_err)
		*x509_err = X509_V_OK;
	TG_ENSURE(ca != NULL && (chain != NULL || n == 0), TG_E_INVAL);
	TG_ENSURE(purpose == TG_VERIFY_SERVER || purpose == TG_VERIFY_CLIENT,
		  TG_E_INVAL);
	/* an empty name would silently turn the host check off */
	TG_ENSURE(host == NULL || host[0] != '\0', TG_E_INVAL);
	TG_ENSURE(n > 0, TG_E_CERT_REQUIRED);
	TG_ENSURE(n <= TG_CERT_MAX_CHAIN, TG_E_BAD_CERT);
	untrusted = sk_X509_new_null();
	TG_ENSURE(untrusted != NULL, TG_E_NOMEM);
	for (size_t i = 0; i < n && tg_ok(r); i++) {
		const unsigned char *p = chain[i].p;
		X509 *x;

		if (p == NULL || chain[i].len == 0 || chain[i].len > LONG_MAX) {
			r = tg_error(TG_E_BAD_CERT);
			break;
		}
		x = d2i_X509(NULL, &p, (long)chain[i].len);
		if (x == NULL || p != chain[i].p + chain[i].len) {
			X509_free(x);
			r = tg_error(TG_E_BAD_CERT);
		} else if (i == 0) {
			leaf = x;
		} else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			r = tg_error(TG_E_NOMEM);
		}
	}
	if (tg_ok(r)) {
		ctx = X509_STORE_CTX_new();
		if (ctx == NULL || X509_STORE_CTX_init(ctx, ca->store, leaf,
						       untrusted) != 1)
			r = tg_error(TG_E_NOMEM);
	}
	if (tg_ok(r))
		r = verify_params(ctx, purpose, host, at);
	if (tg_ok(r) && X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		if (err == X509_V_OK)
			err = X509_V_ERR_UNSPECIFIED;
		TG_DEBUG("peer certificate: verify error %d (%s) at depth %d",
			 err, X509_verify_cert_error_string(err),
			 X509_STORE_CTX_get_error_depth(ctx));
		r = tg_error((enum tg_err)tg_cert_map_verify_error(err));
	}
	if (tg_ok(r)) {
		EVP_PKEY *pk = X509_get_pubkey(leaf);

		if (pk == NULL || tg_cert_key_of(pk) == TG_CERT_KEY_NONE) {
			EVP_PKEY_free(pk);
			r = tg_error(TG_E_UNSUPPORTED_CERT);
		} else if (key_out != NULL) {
			*key_out = pk;
		} else {
			EVP_PKEY_free(pk);
		}
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	if (x509_err)
		*x509_err = err;
	return r;
}
