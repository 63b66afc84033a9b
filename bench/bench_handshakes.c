/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench_handshakes.c
 * `tlsgate-bench handshakes`: TLS 1.2 and TLS 1.3 server handshakes per server
 * CPU-second of our engine (control/tg_hs.h) and of OpenSSL's libssl, and
 * the crypto a full handshake cannot avoid, measured in the same run.
 *
 * Method: in process, one thread. A libssl client (the same SSL_CTX for
 * both servers, certificate verification off) talks to the server under
 * test through a BIO pair. Only the server's calls are timed, with
 * clock_gettime(CLOCK_THREAD_CPUTIME_ID) around them:
 *   - tlsgate: tg_hs_new, tg_hs_feed, tg_hs_output, tg_hs_export_keys,
 *     tg_hs_free (the bytes are moved to and from the pair untimed);
 *   - libssl: SSL_new + SSL_set_bio + SSL_set_accept_state, each server
 *     SSL_do_handshake (which reads and writes its end of the pair),
 *     SSL_set_shutdown + SSL_free;
 *   - crypto_bound: for full handshakes one ECDHE key generation, the
 *     public value, one derive with a fixed peer value, and one signature
 *     (the scheme our server chose) over a ServerKeyExchange-sized
 *     message with the certificate's key (tg_kx_*, tg_sig_sign); for
 *     resumed handshakes the PRF-only bound: one key block and two
 *     Finished verify_data (tg_prf_*). Timed in batches.
 * The cost of one clock read pair (calibrated at start) is subtracted per
 * timed section. The three run in interleaved rounds (about 0.1 s of
 * server CPU each) so that a noisy machine moves all figures alike.
 *
 * Settings per kind, identical for both servers: full = no session cache,
 * no tickets (the client offers neither); resumed_id = a session cache,
 * tickets off (SSL_OP_NO_TICKET on both sides); resumed_ticket = tickets,
 * no session cache. TLS 1.3 suites: full, hrr (the client's key share is
 * not the server's group: a HelloRetryRequest each time) and
 * resumed_ticket (PSK with ECDHE); their crypto bound is ECDHE and one
 * signature (full, hrr) or ECDHE alone (PSK-DHE). A resumed measurement
 * first runs one full handshake
 * (untimed) and then resumes that session over and over; every handshake
 * is checked to have resumed (or not) as asked.
 *
 * The certificates (ECDSA P-256, RSA 2048, self-signed) are generated at
 * start with libcrypto into a temporary directory removed after loading.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "bench.h"
#include "tg_cert.h"
#include "tg_hs.h"
#include "tg_kx.h"
#include "tg_log.h"
#include "tg_prf.h"
#include "tg_sesscache.h"
#include "tg_sig.h"
#include "tg_suite.h"
#include "tg_ticket.h"
#include "tg_wipe.h"

#define HB_CMD "handshakes"
#define HB_MAX_SECONDS 3600.0
#define HB_ROUND_S 0.1      /**< server CPU per impl per round */
#define HB_MAX_ROUNDS 50
#define HB_WARMUP 3         /**< untimed handshakes before measuring */
#define HB_BUF 32768        /**< largest flight moved at once */
#define HB_BATCH 16         /**< handshakes in lock step (and bound ops per section) */
#define HB_HOST "bench.tlsgate.test"

/** Implementations measured. */
enum hb_impl { HB_TLSGATE = 0, HB_LIBSSL, HB_BOUND, HB_IMPL__N };

/** Certificate (key) types. */
enum hb_cert { HB_CERT_ECDSA = 0, HB_CERT_RSA, HB_CERT__N };

/** Handshake kinds, indexed like enum tg_hs_resumption, then hrr
 *  (TLS 1.3: a full handshake through a HelloRetryRequest). */
#define HB_KIND__N 4
#define HB_KIND_HRR 3

static const char *const hb_impl_name[HB_IMPL__N] = { "tlsgate", "libssl",
						      "crypto_bound" };
static const char *const hb_cert_name[HB_CERT__N] = { "ecdsa", "rsa" };
static const char *const hb_kind_name[HB_KIND__N] = { "full", "resumed_id",
						      "resumed_ticket", "hrr" };

/** Groups we measure: our name, the codepoint, libssl's name. */
static const struct {
	const char *name;
	uint16_t id;
	const char *ossl;
} hb_groups[] = {
	{ "x25519", TG_GROUP_X25519, "X25519" },
	{ "p256", TG_GROUP_SECP256R1, "P-256" },
	{ "p384", TG_GROUP_SECP384R1, "P-384" },
};
#define HB_NGROUPS (sizeof(hb_groups) / sizeof(hb_groups[0]))

/** Parsed command line. */
struct hb_opts {
	uint16_t suites[TG_CS_MAX + TG_CS13_MAX];
	unsigned nsuites;
	bool group[HB_NGROUPS];
	bool cert[HB_CERT__N];
	bool kind[HB_KIND__N];
	bool impl[HB_IMPL__N];
	double seconds;
	bool json, verbose;
};

/** One cell of the matrix: a (suite, group, kind) with all three figures. */
struct hb_cell {
	const struct tg_cs_info *cs; /**< a TLS 1.2 suite, or NULL */
	const struct tg_cs13_info *cs13; /**< a TLS 1.3 suite, or NULL */
	enum hb_cert cert;
	int group;                   /**< index in hb_groups; -1 (resumed) */
	unsigned kind;               /**< tg_hs_resumption, or HB_KIND_HRR */
	uint16_t sigalg;             /**< what our server signed with */
	uint64_t n[HB_IMPL__N];      /**< handshakes (operations) */
	uint64_t ns[HB_IMPL__N];     /**< server CPU ns, clock cost removed */
	uint64_t sections[HB_IMPL__N]; /**< timed sections */
	bool ok[HB_IMPL__N];
	double rate[HB_IMPL__N];     /**< per server CPU-second */
};

/** Long-lived state of a run. */
struct hb_env {
	struct hb_opts o;
	struct tg_accel *acc;
	struct tg_cert_store *store[HB_CERT__N];
	EVP_PKEY *key[HB_CERT__N];
	char dir[64];
	char cert_path[HB_CERT__N][96];
	char key_path[HB_CERT__N][96];
	struct tg_sesscache *cache;
	struct tg_ticket_keys *tickets;
	uint64_t clock_bias_ns;      /**< cost of one timed empty section */
	struct hb_cell *cells;
	unsigned ncells;
	struct tg_progress prog;
	int failures;
};

/** A ready-made pair of contexts for one cell. */
struct hb_ctx {
	struct hb_env *env;
	struct hb_cell *cell;
	SSL_CTX *cctx;               /**< the libssl client */
	SSL_CTX *sctx;               /**< the libssl server */
	struct tg_hs_config cfg;     /**< our server */
	SSL_SESSION *sess[2];        /**< to resume: [tlsgate], [libssl] */
	uint8_t *buf;                /**< HB_BATCH x HB_BUF bytes of flight */
	/* crypto bound */
	uint8_t peer_pub[TG_KX_MAX_PUB];
	size_t peer_len;
	uint8_t msg[32 + 32 + 4 + TG_KX_MAX_PUB];
	size_t msg_len;
};

/* ---- usage and command line ------------------------------------------------- */

static void hb_usage(FILE *f)
{
	fprintf(f,
"usage: " TG_BENCH_PROG " handshakes [options]\n"
"\n"
"TLS 1.2 and 1.3 server handshakes per server CPU-second: our engine (tlsgate),\n"
"OpenSSL's libssl server with the same certificate, suite, group and\n"
"resumption setting, and the crypto a handshake cannot avoid\n"
"(crypto_bound), all measured in the same run on one thread.\n"
"\n"
"options:\n"
"  --suite LIST    comma list of ECDHE cipher suites (OpenSSL or IANA\n"
"                  names) and TLS 1.3 suites (TLS_AES_128_GCM_SHA256...),\n"
"                  or all (default: ECDHE-ECDSA-AES128-GCM-SHA256 and\n"
"                  ECDHE-RSA-AES128-GCM-SHA256, as --cert allows, and\n"
"                  TLS_AES_128_GCM_SHA256 with each --cert)\n"
"  --group G       x25519 | p256 | p384 | all, or a comma list\n"
"                  (default all)\n"
"  --cert C        ecdsa (P-256) | rsa (2048) | all (default all); a suite\n"
"                  names its certificate type, --cert filters the suites\n"
"  --kind K        full | resumed_id | resumed_ticket | hrr | all, or a\n"
"                  comma list (default all); TLS 1.3 has no resumed_id\n"
"                  and resumes with PSK-DHE; hrr is TLS 1.3's full\n"
"                  handshake through a HelloRetryRequest\n"
"  --impl LIST     tlsgate | libssl | crypto_bound | all, or a comma list\n"
"                  (default all; one alone is handy under a profiler)\n"
"  --seconds S     server CPU seconds per implementation and cell,\n"
"                  fractions allowed (default 1)\n"
"  --json          a JSON array on stdout instead of tables: one object\n"
"                  per measurement, ratio and target (a measurement\n"
"                  names the meson buildtype measured)\n"
"  -v, --verbose   log our engine's messages\n"
"  -h, --help      this text\n"
"\n"
"How it measures:\n"
"  A libssl client (the same for both servers, no certificate check)\n"
"  talks to the server through an in-memory BIO pair. Only the server's\n"
"  calls are timed, with CLOCK_THREAD_CPUTIME_ID: tg_hs_new/feed/output/\n"
"  export_keys/free for tlsgate; SSL_new, SSL_do_handshake, SSL_free for\n"
"  libssl. The clock's own cost is calibrated and subtracted.\n"
"  full: no session cache, no tickets. resumed_id: session cache, no\n"
"  tickets. resumed_ticket: tickets, no cache. Resumed handshakes have no\n"
"  key exchange: they are measured once per suite (group \"none\").\n"
"  crypto_bound (full): ECDHE keygen + derive on the group and one\n"
"  signature with the certificate key; (resumed): the PRF-only bound,\n"
"  one key block and two Finished. Implementations alternate in rounds\n"
"  of about 0.1 s of server CPU.\n"
"\n"
"Targets: full ECDHE-ECDSA on x25519 and p256 >= 1.3x libssl and\n"
">= 0.85x crypto_bound; resumed (both kinds) >= 2x libssl; TLS 1.3:\n"
"full ECDSA on x25519 and p256 >= 1.3x libssl, PSK-DHE >= 2x. Missed\n"
"targets are reported, they do not change the exit status.\n"
"\n"
"examples:\n"
"  " TG_BENCH_PROG " handshakes --kind full --cert ecdsa --seconds 0.5\n"
"  " TG_BENCH_PROG " handshakes --suite all --group x25519 --json\n");
}

/* What "all" (and leaving the option out) means for each list option. */
#define HB_ALL_GROUPS "x25519,p256,p384"
#define HB_ALL_CERTS "ecdsa,rsa"
#define HB_ALL_KINDS "full,resumed_id,resumed_ticket,hrr"
#define HB_ALL_IMPLS "tlsgate,libssl,crypto_bound"

/**
 * Split @p v at commas and call @p item for each element; refuses empty
 * items and over-long lists with a usage error. With @p all, the value
 * "all" stands for that list.
 */
static void hb_each(const char *opt, const char *v, const char *all,
		    void (*item)(struct hb_opts *o, const char *s),
		    struct hb_opts *o)
{
	char tmp[512];
	char *save = NULL;

	if (all != NULL && strcmp(v, "all") == 0)
		v = all;
	if (*v == '\0' || strlen(v) >= sizeof(tmp) || v[0] == ',' ||
	    v[strlen(v) - 1] == ',' || strstr(v, ",,") != NULL)
		tg_bench_usage_error(HB_CMD, "bad %s '%s'", opt, v);
	strcpy(tmp, v);
	for (char *t = strtok_r(tmp, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save))
		item(o, t);
}

static void hb_suite_item(struct hb_opts *o, const char *s)
{
	const struct tg_cs_info *cs = tg_cs_by_name(s);
	const struct tg_cs13_info *cs13 = tg_cs13_by_name(s);

	if (cs13 != NULL) {
		for (unsigned i = 0; i < o->nsuites; i++)
			if (o->suites[i] == cs13->id)
				return;
		o->suites[o->nsuites++] = cs13->id;
		return;
	}
	if (cs == NULL)
		tg_bench_usage_error(HB_CMD, "unknown suite '%s' (expected "
				     "e.g. ECDHE-ECDSA-AES128-GCM-SHA256, or "
				     "all)", s);
	if (cs->kx == TG_KX_RSA)
		tg_bench_usage_error(HB_CMD, "suite '%s': static RSA key "
				     "transport is not benchmarked (ECDHE "
				     "suites only)", s);
	for (unsigned i = 0; i < o->nsuites; i++)
		if (o->suites[i] == cs->id)
			return;
	o->suites[o->nsuites++] = cs->id;
}

static void hb_group_item(struct hb_opts *o, const char *s)
{
	for (unsigned g = 0; g < HB_NGROUPS; g++) {
		if (strcasecmp(s, hb_groups[g].name) == 0 ||
		    strcasecmp(s, hb_groups[g].ossl) == 0) {
			o->group[g] = true;
			return;
		}
	}
	tg_bench_usage_error(HB_CMD, "unknown group '%s' (expected x25519, "
			     "p256, p384 or all)", s);
}

/** Index of @p s in @p names (@p n of them); a usage error (exit 2)
 *  naming @p what and @p expected when it is not there. */
static unsigned hb_name_index(const char *const *names, unsigned n,
			      const char *s, const char *what,
			      const char *expected)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	tg_bench_usage_error(HB_CMD, "unknown %s '%s' (expected %s)", what, s,
			     expected);
}

static void hb_cert_item(struct hb_opts *o, const char *s)
{
	o->cert[hb_name_index(hb_cert_name, HB_CERT__N, s, "certificate type",
			      "ecdsa, rsa or all")] = true;
}

static void hb_kind_item(struct hb_opts *o, const char *s)
{
	o->kind[hb_name_index(hb_kind_name, HB_KIND__N, s, "kind",
			      "full, resumed_id, resumed_ticket, hrr or all")] = true;
}

static void hb_impl_item(struct hb_opts *o, const char *s)
{
	o->impl[hb_name_index(hb_impl_name, HB_IMPL__N, s, "implementation",
			      "tlsgate, libssl, crypto_bound or all")] = true;
}

static enum hb_cert hb_cert_of(const struct tg_cs_info *cs)
{
	return cs->kx == TG_KX_ECDHE_ECDSA ? HB_CERT_ECDSA : HB_CERT_RSA;
}

/** Parse the command line into @p o; usage errors exit with status 2. */
static void hb_parse(int argc, char **argv, struct hb_opts *o)
{
	enum { O_SUITE = 256, O_GROUP, O_CERT, O_KIND, O_IMPL, O_SECONDS,
	       O_JSON };
	static const struct option lo[] = {
		{ "suite", required_argument, NULL, O_SUITE },
		{ "group", required_argument, NULL, O_GROUP },
		{ "cert", required_argument, NULL, O_CERT },
		{ "kind", required_argument, NULL, O_KIND },
		{ "impl", required_argument, NULL, O_IMPL },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool any_group = false, any_cert = false, any_kind = false;
	bool any_impl = false;
	const char *suites = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	o->seconds = 1.0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:hv", lo, NULL)) != -1) {
		switch (c) {
		case O_SUITE:
			suites = optarg;
			break;
		case O_GROUP:
			memset(o->group, 0, sizeof(o->group));
			any_group = true;
			hb_each("--group", optarg, HB_ALL_GROUPS, hb_group_item,
				o);
			break;
		case O_CERT:
			memset(o->cert, 0, sizeof(o->cert));
			any_cert = true;
			hb_each("--cert", optarg, HB_ALL_CERTS, hb_cert_item, o);
			break;
		case O_KIND:
			memset(o->kind, 0, sizeof(o->kind));
			any_kind = true;
			hb_each("--kind", optarg, HB_ALL_KINDS, hb_kind_item, o);
			break;
		case O_IMPL:
			memset(o->impl, 0, sizeof(o->impl));
			any_impl = true;
			hb_each("--impl", optarg, HB_ALL_IMPLS, hb_impl_item, o);
			break;
		case O_SECONDS:
			if (tg_failed(tg_bench_parse_seconds(optarg,
							     HB_MAX_SECONDS,
							     &o->seconds)))
				tg_bench_usage_error(HB_CMD,
						     "bad --seconds '%s' (expected "
						     "a number of seconds > 0, "
						     "e.g. 0.2)", optarg);
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			hb_usage(stdout);
			exit(0);
		case ':':
			tg_bench_usage_error(HB_CMD, "option '%s' needs a value",
					     argv[optind - 1]);
		default:
			tg_bench_usage_error(HB_CMD, "unknown option '%s'",
					     argv[optind - 1]);
		}
	}
	if (optind < argc)
		tg_bench_usage_error(HB_CMD, "unexpected argument '%s'",
				     argv[optind]);
	if (!any_group)
		hb_each("--group", HB_ALL_GROUPS, NULL, hb_group_item, o);
	if (!any_cert)
		hb_each("--cert", HB_ALL_CERTS, NULL, hb_cert_item, o);
	if (!any_kind)
		hb_each("--kind", HB_ALL_KINDS, NULL, hb_kind_item, o);
	if (!any_impl)
		hb_each("--impl", HB_ALL_IMPLS, NULL, hb_impl_item, o);
	if (suites != NULL && strcmp(suites, "all") == 0) {
		const uint16_t *d;
		size_t nd = tg_cs13_default(&d);

		for (size_t i = 0; i < tg_cs_count(); i++) {
			const struct tg_cs_info *cs = tg_cs_at(i);

			if (cs->kx != TG_KX_RSA && o->cert[hb_cert_of(cs)])
				o->suites[o->nsuites++] = cs->id;
		}
		for (size_t i = 0; i < nd; i++)
			o->suites[o->nsuites++] = d[i];
	} else if (suites != NULL) {
		unsigned n = 0;

		hb_each("--suite", suites, NULL, hb_suite_item, o);
		for (unsigned i = 0; i < o->nsuites; i++) {
			/* a TLS 1.3 suite goes with every certificate */
			if (tg_cs13_by_id(o->suites[i]) != NULL ||
			    o->cert[hb_cert_of(tg_cs_by_id(o->suites[i]))])
				o->suites[n++] = o->suites[i];
		}
		if (n == 0)
			tg_bench_usage_error(HB_CMD, "no suite of --suite %s "
					     "uses a certificate type of --cert",
					     suites);
		o->nsuites = n;
	} else {
		if (o->cert[HB_CERT_ECDSA])
			o->suites[o->nsuites++] =
				TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256;
		if (o->cert[HB_CERT_RSA])
			o->suites[o->nsuites++] =
				TG_CS_ECDHE_RSA_AES_128_GCM_SHA256;
		o->suites[o->nsuites++] = TG_CS13_AES_128_GCM_SHA256;
	}
}

/** The suite's name, of either version. */
static const char *hb_suite_str(const struct hb_cell *c)
{
	return c->cs13 != NULL ? c->cs13->name : c->cs->ossl;
}

/* ---- clock ------------------------------------------------------------------ */

/** This thread's CPU time in nanoseconds. */
static inline uint64_t hb_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/**
 * Cost of one empty timed section (two clock reads): the smallest of
 * several averages, so that a preemption does not inflate it.
 */
static uint64_t hb_clock_bias(void)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < 5; r++) {
		uint64_t sum = 0;

		for (int i = 0; i < 2000; i++) {
			uint64_t t0 = hb_cpu_ns();

			sum += hb_cpu_ns() - t0;
		}
		if (sum / 2000 < best)
			best = sum / 2000;
	}
	return best;
}

/* ---- certificates ----------------------------------------------------------- */

/** Write a self-signed certificate for a fresh key of type @p ct. */
static TG_MUST_CHECK tg_result hb_make_cert(struct hb_env *env, enum hb_cert ct)
{
	EVP_PKEY *k;
	X509 *x = NULL;
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *f;
	bool ok = false;

	k = ct == HB_CERT_ECDSA ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
				: EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
						    (size_t)2048);
	if (k == NULL)
		return tg_error(TG_E_CRYPTO);
	env->key[ct] = k;
	snprintf(env->cert_path[ct], sizeof(env->cert_path[ct]), "%s/%s.pem",
		 env->dir, hb_cert_name[ct]);
	snprintf(env->key_path[ct], sizeof(env->key_path[ct]), "%s/%s.key",
		 env->dir, hb_cert_name[ct]);
	x = X509_new();
	if (x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1 + (long)ct) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) ||
	    !X509_set_pubkey(x, k))
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)HB_HOST, -1, -1,
					0) ||
	    !X509_set_issuer_name(x, name))
		goto out;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				  "DNS:" HB_HOST);
	if (ext == NULL)
		goto out;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	if (!ok || !X509_sign(x, k, EVP_sha256())) {
		ok = false;
		goto out;
	}
	ok = false;
	f = fopen(env->cert_path[ct], "w");
	if (f == NULL)
		goto out;
	ok = PEM_write_X509(f, x) == 1;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		goto out;
	f = fopen(env->key_path[ct], "w");
	ok = f != NULL;
	if (!ok)
		goto out;
	ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fclose(f) == 0 && ok;
out:
	X509_free(x);
	return ok ? TG_OK : tg_error(TG_E_CRYPTO);
}

/**
 * Generate the certificates the suites asked for need, load them into one
 * store each, and set up the accel engine, the session cache and the
 * ticket keys. The key and certificate files stay until hb_env_fini()
 * (the libssl servers load them per cell).
 */
static TG_MUST_CHECK tg_result hb_env_init(struct hb_env *env)
{
	/* The engine tlsgate itself starts with: the default CPU backends,
	 * calibrated (the handshake's Finished records use the small-record
	 * choice). */
	struct tg_accel_conf ac = { .backends = "default" };
	struct tg_sesscache_cfg cc = { .max_entries = 20480, .ttl_s = 3600 };
	bool need[HB_CERT__N] = { false, false };

	snprintf(env->dir, sizeof(env->dir), "%s/tlsgate-bench-XXXXXX",
		 getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 32
			 ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(env->dir) == NULL) {
		fprintf(stderr, "%s %s: mkdtemp %s: %s\n", TG_BENCH_PROG,
			HB_CMD, env->dir, strerror(errno));
		env->dir[0] = '\0';
		return tg_error(TG_E_IO);
	}
	for (unsigned i = 0; i < env->o.nsuites; i++) {
		if (tg_cs13_by_id(env->o.suites[i]) != NULL) {
			/* TLS 1.3: every certificate --cert names */
			for (unsigned c = 0; c < HB_CERT__N; c++)
				need[c] |= env->o.cert[c];
			continue;
		}
		need[hb_cert_of(tg_cs_by_id(env->o.suites[i]))] = true;
	}
	for (unsigned c = 0; c < HB_CERT__N; c++) {
		if (!need[c])
			continue;
		TG_GUARD(hb_make_cert(env, c));
		TG_GUARD(tg_cert_store_new(0, &env->store[c]));
		TG_GUARD(tg_cert_store_load(env->store[c], env->cert_path[c],
					    env->key_path[c], true));
	}
	TG_GUARD(tg_accel_create(&ac, &env->acc));
	TG_GUARD(tg_sesscache_new(&cc, &env->cache));
	TG_GUARD(tg_ticket_keys_random(TG_TICKET_FMT_GCM, NULL, &env->tickets));
	return TG_OK;
}

static void hb_env_fini(struct hb_env *env)
{
	for (unsigned c = 0; c < HB_CERT__N; c++) {
		tg_cert_store_unref(env->store[c]);
		EVP_PKEY_free(env->key[c]);
		if (env->cert_path[c][0] != '\0')
			unlink(env->cert_path[c]);
		if (env->key_path[c][0] != '\0')
			unlink(env->key_path[c]);
	}
	if (env->dir[0] != '\0')
		rmdir(env->dir);
	tg_ticket_keys_unref(env->tickets);
	tg_sesscache_free(env->cache);
	tg_accel_destroy(env->acc);
	tg_kx_thread_cleanup();
	free(env->cells);
}

/* ---- one handshake ------------------------------------------------------------ */

/** A libssl client connected to one end of a fresh BIO pair. */
static SSL *hb_client(struct hb_ctx *x, SSL_SESSION *sess, BIO **srv_end)
{
	SSL *cl = SSL_new(x->cctx);
	BIO *a = NULL, *b = NULL;

	if (cl == NULL || !BIO_new_bio_pair(&a, 0, &b, 0)) {
		SSL_free(cl);
		return NULL;
	}
	SSL_set_bio(cl, a, a);
	SSL_set_connect_state(cl);
	if (sess != NULL)
		SSL_set_session(cl, sess);
	*srv_end = b;
	return cl;
}

/** Drive the client once; -1 on failure, 1 when done, 0 when waiting. */
static int hb_client_step(SSL *cl)
{
	int r = SSL_do_handshake(cl);

	if (r == 1)
		return 1;
	return SSL_get_error(cl, r) == SSL_ERROR_WANT_READ ? 0 : -1;
}

/** Free a client (and its pair end) without libssl forgetting sessions. */
static void hb_client_free(SSL *cl)
{
	SSL_set_shutdown(cl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(cl);
}

/** One handshake of a batch: the libssl client and one of the servers. */
struct hb_hs {
	SSL *cl;
	BIO *net;           /**< the server's end of the pair */
	int cst;            /**< client: 0 waiting, 1 done, -1 failed */
	int sst;            /**< server: the same */
	struct tg_hs *hs;   /**< tlsgate */
	SSL *sv;            /**< libssl */
	uint8_t *buf;       /**< HB_BUF bytes: the flight in, then out */
	size_t in, out;
	struct tg_hs_info info;
};

/** Our server's part of one round: feed the flight, collect the answer. */
static TG_MUST_CHECK tg_result hb_ours_step(struct hb_ctx *x, struct hb_hs *h)
{
	tg_result res = TG_OK;

	if (h->hs == NULL)
		TG_GUARD(tg_hs_new(&x->cfg, NULL, &h->hs));
	for (size_t off = 0, used = 0; tg_ok(res) && off < h->in &&
	     !(tg_hs_events(h->hs) & TG_HS_EV_KEYS_READY); off += used)
		res = tg_hs_feed(h->hs, h->buf + off, h->in - off, &used);
	h->in = 0;
	h->out = tg_hs_output(h->hs, h->buf, HB_BUF);
	if (tg_ok(res) && (tg_hs_events(h->hs) & TG_HS_EV_KEYS_READY)) {
		struct tg_keys tx, rx;

		res = tg_hs_export_keys(h->hs, &tx, &rx);
		tg_wipe(&tx, sizeof(tx));
		tg_wipe(&rx, sizeof(rx));
		h->info = *tg_hs_info(h->hs);
		tg_hs_free(h->hs);
		h->hs = NULL;
		h->sst = 1;
	}
	return res;
}

/** libssl's server part of one round. */
static TG_MUST_CHECK tg_result hb_libssl_step(struct hb_hs *h)
{
	int r = SSL_do_handshake(h->sv);

	if (r == 1)
		h->sst = 1;
	else if (SSL_get_error(h->sv, r) != SSL_ERROR_WANT_READ)
		h->sst = -1;
	return h->sst < 0 ? tg_error(TG_E_PEER_ALERT) : TG_OK;
}

/**
 * @p n handshakes (at most HB_BATCH) of libssl clients with the server
 * @p impl, in lock step: each round every client moves (not timed), then
 * the server handles every connection's flight in one timed section, as
 * a control thread drains its queue. Adds the server's CPU time to
 * @p ns and its timed sections to @p sect; checks the resumption kind
 * against @p want; with @p sess_out keeps the first client's session.
 */
static TG_MUST_CHECK tg_result hb_batch(struct hb_ctx *x, enum hb_impl impl, unsigned n,
			  SSL_SESSION *sess, unsigned kind,
			  uint64_t *ns, uint64_t *sect, SSL_SESSION **sess_out)
{
	struct hb_hs h[HB_BATCH];
	tg_result res = TG_OK;
	uint64_t t0, t1;
	unsigned done = 0;
	enum tg_hs_resumption want = kind == HB_KIND_HRR
					     ? TG_HS_FULL
					     : (enum tg_hs_resumption)kind;

	memset(h, 0, sizeof(h));
	for (unsigned j = 0; j < n && tg_ok(res); j++) {
		h[j].buf = x->buf + (size_t)j * HB_BUF;
		h[j].cl = hb_client(x, sess, &h[j].net);
		if (h[j].cl == NULL)
			res = tg_error(TG_E_NOMEM);
	}
	if (tg_ok(res) && impl == HB_LIBSSL) {
		t0 = hb_cpu_ns();
		for (unsigned j = 0; j < n && tg_ok(res); j++) {
			h[j].sv = SSL_new(x->sctx);
			if (h[j].sv == NULL) {
				res = tg_error(TG_E_NOMEM);
				break;
			}
			/* the server holds a second reference to its end */
			BIO_up_ref(h[j].net);
			SSL_set_bio(h[j].sv, h[j].net, h[j].net);
			SSL_set_accept_state(h[j].sv);
		}
		t1 = hb_cpu_ns();
		*ns += t1 - t0;
		(*sect)++;
	}
	for (int round = 0; round < 16 && tg_ok(res) && done < n; round++) {
		bool any = false;

		for (unsigned j = 0; j < n && tg_ok(res); j++) {
			if (h[j].cst == 0)
				h[j].cst = hb_client_step(h[j].cl);
			if (h[j].cst < 0)
				res = tg_error(TG_E_PEER_ALERT);
			if (h[j].sst != 0 || BIO_ctrl_pending(h[j].net) == 0)
				continue;
			any = true;
			if (impl == HB_TLSGATE) {
				int got = BIO_read(h[j].net, h[j].buf, HB_BUF);

				h[j].in = got > 0 ? (size_t)got : 0;
			}
		}
		if (!any || tg_failed(res))
			continue;
		t0 = hb_cpu_ns();
		for (unsigned j = 0; j < n && tg_ok(res); j++) {
			if (h[j].sst != 0 || (impl == HB_TLSGATE ? h[j].in == 0
					      : BIO_ctrl_pending(h[j].net) == 0))
				continue;
			res = impl == HB_TLSGATE ? hb_ours_step(x, &h[j])
						 : hb_libssl_step(&h[j]);
			done += h[j].sst == 1;
		}
		t1 = hb_cpu_ns();
		*ns += t1 - t0;
		(*sect)++;
		for (unsigned j = 0; impl == HB_TLSGATE && j < n; j++) {
			if (h[j].out > 0)
				BIO_write(h[j].net, h[j].buf, (int)h[j].out);
			h[j].out = 0;
		}
	}
	/* the clients read the last flight */
	for (unsigned j = 0; j < n && tg_ok(res); j++) {
		if (h[j].cst == 0)
			h[j].cst = hb_client_step(h[j].cl);
		if (h[j].cst != 1 || h[j].sst != 1)
			res = tg_error(TG_E_STATE);
		else if ((bool)SSL_session_reused(h[j].cl) !=
				 (want != TG_HS_FULL) ||
			 (impl == HB_TLSGATE ? h[j].info.resumed != want ||
					h[j].info.hrr != (kind == HB_KIND_HRR)
			  : (bool)SSL_session_reused(h[j].sv) !=
				    (want != TG_HS_FULL)))
			res = tg_error(TG_E_STATE);
	}
	/* TLS 1.3: the ticket comes after the handshake; the client reads
	 * it before its session is taken */
	if (tg_ok(res) && sess_out != NULL && x->cell->cs13 != NULL) {
		uint8_t b;

		(void)SSL_read(h[0].cl, &b, 1);
		ERR_clear_error();
	}
	if (tg_ok(res) && impl == HB_TLSGATE && x->cell->sigalg == 0 &&
	    want == TG_HS_FULL)
		x->cell->sigalg = h[0].info.sigalg;
	if (tg_ok(res) && sess_out != NULL)
		*sess_out = SSL_get1_session(h[0].cl);
	t0 = hb_cpu_ns();
	for (unsigned j = 0; j < n; j++) {
		tg_hs_free(h[j].hs);
		if (h[j].sv != NULL) {
			SSL_set_shutdown(h[j].sv,
					 SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
			SSL_free(h[j].sv);
		}
	}
	t1 = hb_cpu_ns();
	*ns += t1 - t0;
	(*sect)++;
	for (unsigned j = 0; j < n; j++) {
		if (h[j].cl != NULL)
			hb_client_free(h[j].cl);
		BIO_free(h[j].net);
	}
	return res;
}

/* ---- crypto bound ------------------------------------------------------------- */

/** One full-handshake crypto bound operation: ECDHE and one signature. */
static TG_MUST_CHECK tg_result hb_bound_full(struct hb_ctx *x)
{
	struct tg_kx kx = { 0 };
	uint8_t pub[TG_KX_MAX_PUB], pms[TG_KX_MAX_SECRET], sig[TG_SIG_MAX_LEN];
	size_t pub_len, pms_len, sig_len;
	tg_result r;

	r = tg_kx_keygen(&kx, hb_groups[x->cell->group].id);
	if (tg_ok(r))
		r = tg_kx_public(&kx, pub, sizeof(pub), &pub_len);
	if (tg_ok(r))
		r = tg_kx_derive(&kx, x->peer_pub, x->peer_len, pms, sizeof(pms),
				 &pms_len);
	tg_kx_free(&kx);
	if (tg_ok(r)) {
		/* the signed params: randoms, curve, our public value */
		memcpy(x->msg + 68, pub, pub_len);
		r = tg_sig_sign(x->cell->sigalg, x->env->key[x->cell->cert],
				x->msg, 68 + pub_len, sig, sizeof(sig),
				&sig_len);
	}
	tg_wipe(pms, sizeof(pms));
	return r;
}

/** One resumed-handshake bound operation: key block + two Finished. */
static TG_MUST_CHECK tg_result hb_bound_resumed(struct hb_ctx *x)
{
	struct tg_key_block kb;
	uint8_t vd[TG_TLS_VERIFY_DATA_LEN];
	const struct tg_cs_info *cs = x->cell->cs;
	enum tg_hash h = (enum tg_hash)cs->prf_hash;
	tg_result r;

	/* x->msg holds the randoms, a master secret and a transcript hash */
	r = tg_prf_key_block(cs, x->msg + 64, x->msg, x->msg + 32, &kb);
	if (tg_ok(r))
		r = tg_prf_finished(h, x->msg + 64, TG_SIDE_SERVER, x->msg + 112,
				    tg_hash_len(h), vd);
	if (tg_ok(r))
		r = tg_prf_finished(h, x->msg + 64, TG_SIDE_CLIENT, x->msg + 112,
				    tg_hash_len(h), vd);
	tg_wipe(&kb, sizeof(kb));
	return r;
}

/** One TLS 1.3 PSK-DHE bound operation: the ECDHE alone (the HKDF work
 *  of a handshake is far below it). */
static TG_MUST_CHECK tg_result hb_bound_ecdhe(struct hb_ctx *x)
{
	struct tg_kx kx = { 0 };
	uint8_t pub[TG_KX_MAX_PUB], pms[TG_KX_MAX_SECRET];
	size_t pub_len, pms_len;
	tg_result r;

	r = tg_kx_keygen(&kx, hb_groups[0].id);
	if (tg_ok(r))
		r = tg_kx_public(&kx, pub, sizeof(pub), &pub_len);
	if (tg_ok(r))
		r = tg_kx_derive(&kx, x->peer_pub, x->peer_len, pms, sizeof(pms),
				 &pms_len);
	tg_kx_free(&kx);
	tg_wipe(pms, sizeof(pms));
	return r;
}

/** Run bound operations in batches of @p batch; one timed section each. */
static TG_MUST_CHECK tg_result hb_bound_batch(struct hb_ctx *x, unsigned batch,
				uint64_t *ns, uint64_t *sect, uint64_t *n)
{
	tg_result r = TG_OK;
	uint64_t t0 = hb_cpu_ns(), t1;

	for (unsigned i = 0; i < batch && tg_ok(r); i++)
		r = x->cell->kind == TG_HS_FULL || x->cell->kind == HB_KIND_HRR
			    ? hb_bound_full(x)
		    : x->cell->cs13 != NULL ? hb_bound_ecdhe(x)
					    : hb_bound_resumed(x);
	t1 = hb_cpu_ns();
	*ns += t1 - t0;
	(*sect)++;
	if (tg_ok(r))
		*n += batch;
	return r;
}

/* ---- one cell ------------------------------------------------------------------- */

/**
 * TLS 1.3 contexts (both sides 1.3 only, the cell's suite) and our
 * server for them: full and hrr with no tickets (hrr: the client's
 * first group, whose share it sends, is not the server's), resumed
 * with one ticket per handshake on both servers.
 */
static TG_MUST_CHECK tg_result hb_ctx_init13(struct hb_ctx *x, struct hb_env *env,
					     struct hb_cell *cell,
					     const char *grp, uint16_t gid)
{
	char cli_groups[32];
	bool ok;

	if (cell->kind == HB_KIND_HRR)
		snprintf(cli_groups, sizeof(cli_groups), "%s:%s",
			 gid == TG_GROUP_SECP256R1 ? "P-384" : "P-256", grp);
	else
		snprintf(cli_groups, sizeof(cli_groups), "%s", grp);
	ok = SSL_CTX_set_min_proto_version(x->cctx, TLS1_3_VERSION) &&
	     SSL_CTX_set_max_proto_version(x->cctx, TLS1_3_VERSION) &&
	     SSL_CTX_set_ciphersuites(x->cctx, cell->cs13->name) &&
	     SSL_CTX_set1_groups_list(x->cctx, cli_groups);
	SSL_CTX_set_verify(x->cctx, SSL_VERIFY_NONE, NULL);
	ok = ok && SSL_CTX_set_min_proto_version(x->sctx, TLS1_3_VERSION) &&
	     SSL_CTX_set_max_proto_version(x->sctx, TLS1_3_VERSION) &&
	     SSL_CTX_set_ciphersuites(x->sctx, cell->cs13->name) &&
	     SSL_CTX_set1_groups_list(x->sctx, grp) &&
	     SSL_CTX_use_certificate_chain_file(x->sctx,
						env->cert_path[cell->cert]) == 1 &&
	     SSL_CTX_use_PrivateKey_file(x->sctx, env->key_path[cell->cert],
					 SSL_FILETYPE_PEM) == 1 &&
	     SSL_CTX_set_session_id_context(x->sctx,
					    (const unsigned char *)"tgb", 3) &&
	     SSL_CTX_set_num_tickets(x->sctx,
				     cell->kind == TG_HS_RESUMED_TICKET ? 1 : 0);
	SSL_CTX_set_session_cache_mode(x->sctx, SSL_SESS_CACHE_OFF);
	if (!ok) {
		ERR_print_errors_fp(stderr);
		return tg_error(TG_E_CRYPTO);
	}
	tg_hs_config_defaults(&x->cfg, TG_HS_SERVER);
	x->cfg.acc = env->acc;
	x->cfg.certs = env->store[cell->cert];
	x->cfg.versions = TG_HS_VERSION_TLS13;
	x->cfg.suites13[0] = cell->cs13->id;
	x->cfg.n_suites13 = 1;
	x->cfg.groups[0] = gid;
	x->cfg.n_groups = 1;
	x->cfg.tickets = cell->kind == TG_HS_RESUMED_TICKET ? env->tickets
							      : NULL;
	/* the bounds: a fixed peer value for the ECDHE, a message to sign */
	if (RAND_bytes(x->msg, sizeof(x->msg)) != 1)
		return tg_error(TG_E_CRYPTO);
	{
		struct tg_kx peer = { 0 };
		tg_result r = tg_kx_keygen(&peer, gid);

		if (tg_ok(r))
			r = tg_kx_public(&peer, x->peer_pub, sizeof(x->peer_pub),
					 &x->peer_len);
		tg_kx_free(&peer);
		TG_GUARD(r);
		x->msg[67] = (uint8_t)x->peer_len;
	}
	return TG_OK;
}

/** Build both libssl contexts and our server configuration for a cell. */
static TG_MUST_CHECK tg_result hb_ctx_init(struct hb_ctx *x, struct hb_env *env,
			     struct hb_cell *cell)
{
	const char *grp = hb_groups[cell->group < 0 ? 0 : cell->group].ossl;
	uint16_t gid = hb_groups[cell->group < 0 ? 0 : cell->group].id;
	char cli_groups[32];
	bool ok;

	memset(x, 0, sizeof(*x));
	x->env = env;
	x->cell = cell;
	x->buf = malloc((size_t)HB_BATCH * HB_BUF);
	if (x->buf == NULL)
		return tg_error(TG_E_NOMEM);
	/* a libssl server wants its ECDSA certificate's curve offered */
	snprintf(cli_groups, sizeof(cli_groups), "%s%s", grp,
		 cell->cert == HB_CERT_ECDSA && gid != TG_GROUP_SECP256R1
			 ? ":P-256" : "");

	x->cctx = SSL_CTX_new(TLS_client_method());
	x->sctx = SSL_CTX_new(TLS_server_method());
	if (x->cctx == NULL || x->sctx == NULL)
		return tg_error(TG_E_NOMEM);
	if (cell->cs13 != NULL)
		return hb_ctx_init13(x, env, cell, grp, gid);
	ok = SSL_CTX_set_min_proto_version(x->cctx, TLS1_2_VERSION) &&
	     SSL_CTX_set_max_proto_version(x->cctx, TLS1_2_VERSION) &&
	     SSL_CTX_set_cipher_list(x->cctx, cell->cs->ossl) &&
	     SSL_CTX_set1_groups_list(x->cctx, cli_groups);
	SSL_CTX_set_verify(x->cctx, SSL_VERIFY_NONE, NULL);
	if (cell->kind != TG_HS_RESUMED_TICKET)
		SSL_CTX_set_options(x->cctx, SSL_OP_NO_TICKET);

	ok = ok && SSL_CTX_set_min_proto_version(x->sctx, TLS1_2_VERSION) &&
	     SSL_CTX_set_max_proto_version(x->sctx, TLS1_2_VERSION) &&
	     SSL_CTX_set_cipher_list(x->sctx, cell->cs->ossl) &&
	     SSL_CTX_set1_groups_list(x->sctx, grp) &&
	     SSL_CTX_use_certificate_chain_file(x->sctx,
						env->cert_path[cell->cert]) == 1 &&
	     SSL_CTX_use_PrivateKey_file(x->sctx, env->key_path[cell->cert],
					 SSL_FILETYPE_PEM) == 1 &&
	     SSL_CTX_set_session_id_context(x->sctx,
					    (const unsigned char *)"tgb", 3);
	SSL_CTX_set_session_cache_mode(x->sctx,
				       cell->kind == TG_HS_RESUMED_ID
					       ? SSL_SESS_CACHE_SERVER
					       : SSL_SESS_CACHE_OFF);
	if (cell->kind != TG_HS_RESUMED_TICKET)
		SSL_CTX_set_options(x->sctx, SSL_OP_NO_TICKET);
	if (!ok) {
		ERR_print_errors_fp(stderr);
		return tg_error(TG_E_CRYPTO);
	}

	tg_hs_config_defaults(&x->cfg, TG_HS_SERVER);
	x->cfg.acc = env->acc;
	x->cfg.certs = env->store[cell->cert];
	x->cfg.suites[0] = cell->cs->id;
	x->cfg.n_suites = 1;
	x->cfg.groups[0] = gid;
	x->cfg.n_groups = 1;
	x->cfg.cache = cell->kind == TG_HS_RESUMED_ID ? env->cache : NULL;
	x->cfg.tickets = cell->kind == TG_HS_RESUMED_TICKET ? env->tickets
							      : NULL;

	/* crypto bound inputs: randoms, a master secret and a transcript
	 * hash (resumed), or a fixed peer public value (full) */
	if (RAND_bytes(x->msg, sizeof(x->msg)) != 1)
		return tg_error(TG_E_CRYPTO);
	x->msg[64] = 3; /* named_curve */
	x->msg[65] = (uint8_t)(gid >> 8);
	x->msg[66] = (uint8_t)gid;
	if (cell->kind == TG_HS_FULL) {
		struct tg_kx peer = { 0 };
		tg_result r = tg_kx_keygen(&peer, gid);

		if (tg_ok(r))
			r = tg_kx_public(&peer, x->peer_pub, sizeof(x->peer_pub),
					 &x->peer_len);
		tg_kx_free(&peer);
		TG_GUARD(r);
		x->msg[67] = (uint8_t)x->peer_len;
	}
	return TG_OK;
}

static void hb_ctx_fini(struct hb_ctx *x)
{
	SSL_SESSION_free(x->sess[0]);
	SSL_SESSION_free(x->sess[1]);
	SSL_CTX_free(x->cctx);
	SSL_CTX_free(x->sctx);
	free(x->buf);
}

/** One handshake (or bound batch) of @p impl, counted into the cell. */
static TG_MUST_CHECK tg_result hb_step(struct hb_ctx *x, enum hb_impl impl, bool count)
{
	struct hb_cell *c = x->cell;
	uint64_t ns = 0, sect = 0, n = 0;
	tg_result r;

	switch (impl) {
	case HB_TLSGATE:
		r = hb_batch(x, impl, HB_BATCH, x->sess[0], c->kind, &ns, &sect,
			     NULL);
		n = HB_BATCH;
		break;
	case HB_LIBSSL:
		r = hb_batch(x, impl, HB_BATCH, x->sess[1], c->kind, &ns, &sect,
			     NULL);
		n = HB_BATCH;
		break;
	default:
		r = hb_bound_batch(x, c->kind == TG_HS_FULL || c->kind == HB_KIND_HRR ||
					      c->cs13 != NULL
				      ? HB_BATCH : 256, &ns,
				   &sect, &n);
		break;
	}
	if (tg_ok(r) && count) {
		c->n[impl] += n;
		c->ns[impl] += ns;
		c->sections[impl] += sect;
	}
	return r;
}

/** Server CPU ns of @p impl so far, the clock's own cost removed. */
static uint64_t hb_net_ns(const struct hb_env *env, const struct hb_cell *c,
			  enum hb_impl impl)
{
	uint64_t bias = env->clock_bias_ns * c->sections[impl];

	return c->ns[impl] > bias ? c->ns[impl] - bias : 0;
}

/** Measure one cell: warm up, prime sessions, then interleaved rounds. */
static TG_MUST_CHECK tg_result hb_measure(struct hb_env *env, struct hb_cell *c)
{
	struct hb_ctx x;
	tg_result r;
	unsigned rounds;
	uint64_t ns = 0, sect = 0;

	r = hb_ctx_init(&x, env, c);
	/* prime: a full handshake gives each client a session to resume;
	 * it also tells which signature scheme our server picks */
	if (tg_ok(r) && (c->kind == TG_HS_FULL || c->kind == HB_KIND_HRR)) {
		r = hb_batch(&x, HB_TLSGATE, 1, NULL, c->kind, &ns, &sect,
			     NULL);
		if (tg_failed(r))
			fprintf(stderr, "%s %s: priming handshake with our "
				"server failed: %s\n", TG_BENCH_PROG, HB_CMD,
				tg_strerror(r.code));
	} else if (tg_ok(r)) {
		r = hb_batch(&x, HB_TLSGATE, 1, NULL, TG_HS_FULL, &ns, &sect,
			     &x.sess[0]);
		if (tg_failed(r))
			fprintf(stderr, "%s %s: priming handshake with our "
				"server failed: %s\n", TG_BENCH_PROG, HB_CMD,
				tg_strerror(r.code));
		else
			r = hb_batch(&x, HB_LIBSSL, 1, NULL, TG_HS_FULL, &ns,
				     &sect, &x.sess[1]);
	}
	for (unsigned i = 0; i < HB_WARMUP && tg_ok(r); i++) {
		for (unsigned m = 0; m < HB_IMPL__N && tg_ok(r); m++) {
			if (!env->o.impl[m])
				continue;
			r = hb_step(&x, (enum hb_impl)m, false);
			if (tg_failed(r))
				fprintf(stderr, "%s %s: %s %s handshake failed: "
					"%s\n", TG_BENCH_PROG, HB_CMD,
					hb_impl_name[m], hb_kind_name[c->kind],
					tg_strerror(r.code));
		}
	}
	rounds = (unsigned)ceil(env->o.seconds / HB_ROUND_S);
	rounds = rounds < 1 ? 1 : rounds > HB_MAX_ROUNDS ? HB_MAX_ROUNDS
							: rounds;
	for (unsigned k = 1; k <= rounds && tg_ok(r); k++) {
		uint64_t goal = (uint64_t)(env->o.seconds * 1e9 * k / rounds);

		for (unsigned m = 0; m < HB_IMPL__N && tg_ok(r); m++)
			while (tg_ok(r) && env->o.impl[m] &&
			       hb_net_ns(env, c, (enum hb_impl)m) < goal)
				r = hb_step(&x, (enum hb_impl)m, true);
	}
	if (tg_failed(r)) {
		fprintf(stderr, "%s %s: %s %s %s failed: %s\n", TG_BENCH_PROG,
			HB_CMD, hb_suite_str(c),
			c->group < 0 ? "" : hb_groups[c->group].name,
			hb_kind_name[c->kind], tg_strerror(r.code));
		ERR_print_errors_fp(stderr);
	}
	for (unsigned m = 0; m < HB_IMPL__N; m++) {
		uint64_t net = hb_net_ns(env, c, (enum hb_impl)m);

		c->ok[m] = tg_ok(r) && net > 0 && c->n[m] > 0;
		c->rate[m] = c->ok[m] ? (double)c->n[m] * 1e9 / (double)net
				      : NAN;
	}
	hb_ctx_fini(&x);
	return r;
}

/* ---- report ------------------------------------------------------------------- */

static const char *hb_group_str(const struct hb_cell *c)
{
	/* TLS 1.3 PSK-DHE resumes with a key share of the first group */
	if (c->group < 0)
		return c->cs13 != NULL ? hb_groups[0].name : "none";
	return hb_groups[c->group].name;
}

static const char *hb_sigalg_str(uint16_t id)
{
	const struct tg_sigalg_info *s = tg_sigalg_by_id(id);

	return s != NULL ? s->name : NULL;
}

/** A target: which cells it covers, against what, at what threshold. */
struct hb_target {
	const char *name;
	enum hb_impl peer;
	double threshold;
};

static const struct hb_target hb_target_full_libssl = {
	"full ECDHE-ECDSA x25519/p256 vs libssl", HB_LIBSSL, 1.3 };
static const struct hb_target hb_target_full_bound = {
	"full ECDHE-ECDSA x25519/p256 vs crypto_bound", HB_BOUND, 0.85 };
static const struct hb_target hb_target_resumed = {
	"resumed vs libssl", HB_LIBSSL, 2.0 };
static const struct hb_target hb_target_full13_libssl = {
	"TLS 1.3 full ECDSA x25519/p256 vs libssl", HB_LIBSSL, 1.3 };
static const struct hb_target hb_target_resumed13 = {
	"TLS 1.3 PSK-DHE resumption vs libssl", HB_LIBSSL, 2.0 };

/** The targets that apply to @p c (NULL-terminated into @p out). */
static unsigned hb_targets_of(const struct hb_cell *c,
			      const struct hb_target *out[2])
{
	unsigned n = 0;

	if (c->cs13 != NULL) {
		/* issue 19: full >= 1.3x libssl, resumption >= 2x */
		if (c->kind == TG_HS_FULL && c->cert == HB_CERT_ECDSA &&
		    (hb_groups[c->group].id == TG_GROUP_X25519 ||
		     hb_groups[c->group].id == TG_GROUP_SECP256R1))
			out[n++] = &hb_target_full13_libssl;
		else if (c->kind == TG_HS_RESUMED_TICKET)
			out[n++] = &hb_target_resumed13;
		return n;
	}
	if (c->kind == TG_HS_FULL) {
		if (c->cert == HB_CERT_ECDSA &&
		    (hb_groups[c->group].id == TG_GROUP_X25519 ||
		     hb_groups[c->group].id == TG_GROUP_SECP256R1)) {
			out[n++] = &hb_target_full_libssl;
			out[n++] = &hb_target_full_bound;
		}
	} else {
		out[n++] = &hb_target_resumed;
	}
	return n;
}

static double hb_ratio(const struct hb_cell *c, enum hb_impl peer)
{
	if (!c->ok[HB_TLSGATE] || !c->ok[peer])
		return NAN;
	return c->rate[HB_TLSGATE] / c->rate[peer];
}

static void hb_print_table(const struct hb_env *env, FILE *f)
{
	unsigned met = 0, total = 0;

	fprintf(f, "TLS 1.2 and 1.3 server handshakes per server CPU-second "
		   "(clock cost %llu ns per timed section removed)\n\n",
		(unsigned long long)env->clock_bias_ns);
	fprintf(f, "%-14s %-31s %-6s %-5s %10s %10s %12s %8s %8s\n", "kind",
		"suite", "group", "cert", "tlsgate", "libssl", "crypto_bound",
		"/libssl", "/bound");
	for (unsigned i = 0; i < env->ncells; i++) {
		const struct hb_cell *c = &env->cells[i];

		fprintf(f, "%-14s %-31s %-6s %-5s %10.0f %10.0f %12.0f %8.2f "
			   "%8.2f%s\n",
			hb_kind_name[c->kind], hb_suite_str(c), hb_group_str(c),
			hb_cert_name[c->cert], c->rate[HB_TLSGATE],
			c->rate[HB_LIBSSL], c->rate[HB_BOUND],
			hb_ratio(c, HB_LIBSSL), hb_ratio(c, HB_BOUND),
			c->kind == TG_HS_FULL || c->kind == HB_KIND_HRR ? ""
			: c->cs13 != NULL ? " (ECDHE-only bound)"
					  : " (PRF-only bound)");
	}
	fprintf(f, "\ntargets:\n");
	for (unsigned i = 0; i < env->ncells; i++) {
		const struct hb_cell *c = &env->cells[i];
		const struct hb_target *t[2];
		unsigned nt = hb_targets_of(c, t);

		for (unsigned k = 0; k < nt; k++) {
			double q = hb_ratio(c, t[k]->peer);
			bool ok = isfinite(q) && q >= t[k]->threshold;

			total++;
			met += ok;
			fprintf(f, "  %-4s %-45s %s %s %-14s %5.2fx (>= %.2fx)\n",
				ok ? "MET" : "MISS", t[k]->name, hb_suite_str(c),
				hb_group_str(c), hb_kind_name[c->kind], q,
				t[k]->threshold);
		}
	}
	if (total == 0)
		fprintf(f, "  (none of the cells measured has a target)\n");
	else
		fprintf(f, "  %u of %u met\n", met, total);
}

static void hb_json_cell_keys(struct tg_json *j, const struct hb_cell *c)
{
	tg_json_str(j, "kind", hb_kind_name[c->kind]);
	tg_json_str(j, "suite", hb_suite_str(c));
	tg_json_str(j, "tls", c->cs13 != NULL ? "1.3" : "1.2");
	tg_json_str(j, "group", hb_group_str(c));
	tg_json_str(j, "cert", hb_cert_name[c->cert]);
}

static void hb_print_json(const struct hb_env *env)
{
	struct tg_json j;

	tg_json_array_begin(&j, stdout);
	for (unsigned i = 0; i < env->ncells; i++) {
		const struct hb_cell *c = &env->cells[i];

		for (unsigned m = 0; m < HB_IMPL__N; m++) {
			const char *sa = hb_sigalg_str(c->sigalg);

			if (!env->o.impl[m])
				continue;
			tg_json_obj_begin(&j);
			tg_json_str(&j, "type", "measurement");
			tg_json_str(&j, "buildtype", tg_bench_buildtype());
			tg_json_str(&j, "impl", hb_impl_name[m]);
			hb_json_cell_keys(&j, c);
			/* the scheme our server chose and the bound signs
			 * with (libssl's choice is not read back) */
			if (sa != NULL &&
			    (c->kind == TG_HS_FULL || c->kind == HB_KIND_HRR) &&
			    m != HB_LIBSSL)
				tg_json_str(&j, "sigalg", sa);
			else
				tg_json_null(&j, "sigalg");
			if (m == HB_BOUND)
				tg_json_str(&j, "bound",
					    c->kind == TG_HS_FULL || c->kind == HB_KIND_HRR
						    ? "ecdhe+sign"
					    : c->cs13 != NULL ? "ecdhe"
							      : "prf_only");
			tg_json_uint(&j, m == HB_BOUND ? "operations"
						       : "handshakes", c->n[m]);
			tg_json_num(&j, "cpu_s",
				    (double)hb_net_ns(env, c, m) / 1e9);
			tg_json_num(&j, "handshakes_per_cpu_s", c->rate[m]);
			tg_json_uint(&j, "clock_bias_ns", env->clock_bias_ns);
			tg_json_bool(&j, "ok", c->ok[m]);
			tg_json_obj_end(&j);
		}
		for (unsigned m = HB_LIBSSL; m < HB_IMPL__N; m++) {
			if (!env->o.impl[HB_TLSGATE] || !env->o.impl[m])
				continue;
			tg_json_obj_begin(&j);
			tg_json_str(&j, "type", "ratio");
			tg_json_str(&j, "impl", hb_impl_name[HB_TLSGATE]);
			tg_json_str(&j, "peer", hb_impl_name[m]);
			hb_json_cell_keys(&j, c);
			tg_json_num(&j, "ratio", hb_ratio(c, m));
			tg_json_obj_end(&j);
		}
	}
	for (unsigned i = 0; i < env->ncells; i++) {
		const struct hb_cell *c = &env->cells[i];
		const struct hb_target *t[2];
		unsigned nt = hb_targets_of(c, t);

		for (unsigned k = 0; k < nt; k++) {
			double q = hb_ratio(c, t[k]->peer);

			tg_json_obj_begin(&j);
			tg_json_str(&j, "type", "target");
			tg_json_str(&j, "name", t[k]->name);
			tg_json_str(&j, "peer", hb_impl_name[t[k]->peer]);
			hb_json_cell_keys(&j, c);
			tg_json_num(&j, "threshold", t[k]->threshold);
			tg_json_num(&j, "ratio", q);
			if (isfinite(q))
				tg_json_bool(&j, "met", q >= t[k]->threshold);
			else
				tg_json_null(&j, "met");
			tg_json_obj_end(&j);
		}
	}
	tg_json_array_end(&j);
}

/* ---- the command -------------------------------------------------------------- */

/** Lay out the cells: full per (suite, group), resumed per suite. */
static TG_MUST_CHECK tg_result hb_plan(struct hb_env *env)
{
	const struct hb_opts *o = &env->o;
	unsigned cap = o->nsuites * HB_CERT__N * (2 * HB_NGROUPS + 2);

	env->cells = calloc(cap, sizeof(*env->cells));
	if (env->cells == NULL)
		return tg_error(TG_E_NOMEM);
	for (unsigned s = 0; s < o->nsuites; s++) {
		const struct tg_cs_info *cs = tg_cs_by_id(o->suites[s]);
		const struct tg_cs13_info *cs13 = tg_cs13_by_id(o->suites[s]);

		for (unsigned ct = 0; ct < HB_CERT__N; ct++) {
			/* a TLS 1.2 suite names its certificate type; a
			 * TLS 1.3 one goes with each --cert */
			if (cs13 != NULL ? !o->cert[ct] : ct != hb_cert_of(cs))
				continue;
			for (unsigned k = 0; k < HB_KIND__N; k++) {
				bool per_group = k == TG_HS_FULL || k == HB_KIND_HRR;

				if (!o->kind[k] ||
				    (cs13 != NULL && k == TG_HS_RESUMED_ID) ||
				    (cs13 == NULL && k == HB_KIND_HRR))
					continue;
				for (int g = 0; g < (int)HB_NGROUPS; g++) {
					struct hb_cell *c;

					if (per_group && !o->group[g])
						continue;
					c = &env->cells[env->ncells++];
					c->cs = cs;
					c->cs13 = cs13;
					c->cert = (enum hb_cert)ct;
					c->kind = k;
					c->group = per_group ? g : -1;
					if (!per_group)
						break;
				}
			}
		}
	}
	/* about: 3 impls x seconds of server CPU, and the client's share */
	tg_progress_init(&env->prog, env->ncells * o->seconds * 6 > 1.5,
			 env->ncells);
	return TG_OK;
}

static int hb_main(int argc, char **argv)
{
	struct hb_env env;
	tg_result r;

	memset(&env, 0, sizeof(env));
	hb_parse(argc, argv, &env.o);
	tg_log_set_level(env.o.verbose ? TG_LOG_DEBUG : TG_LOG_ERR);

	r = hb_env_init(&env);
	if (tg_ok(r))
		r = hb_plan(&env);
	if (tg_failed(r)) {
		fprintf(stderr, "%s %s: cannot set up: %s\n", TG_BENCH_PROG,
			HB_CMD, tg_strerror(r.code));
		ERR_print_errors_fp(stderr);
		hb_env_fini(&env);
		return TG_BENCH_EXIT_FAIL;
	}
	tg_bench_print_build(env.o.json ? stderr : stdout);
	env.clock_bias_ns = hb_clock_bias();
	for (unsigned i = 0; i < env.ncells; i++) {
		struct hb_cell *c = &env.cells[i];

		tg_progress_step(&env.prog, "%s %s %s %s", hb_kind_name[c->kind],
				 hb_suite_str(c), hb_group_str(c),
				 hb_cert_name[c->cert]);
		if (tg_failed(hb_measure(&env, c)))
			env.failures++;
	}
	if (env.o.json)
		hb_print_json(&env);
	else
		hb_print_table(&env, stdout);
	hb_env_fini(&env);
	return env.failures ? TG_BENCH_EXIT_FAIL : 0;
}

const struct tg_bench_cmd tg_bench_cmd_handshakes = {
	.name = "handshakes",
	.summary = "TLS 1.2 server handshakes per CPU-second: ours, libssl, "
		   "crypto bound",
	.run = hb_main,
	.usage = hb_usage,
};
