/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench_records.c
 * `tlsgate-bench records`: TLS record seal/open throughput of the record
 * engine (accel/tg_accel.h) per backend, suite, version and record size,
 * and with --compare the same figures from dpdk-test-crypto-perf and
 * `openssl speed`, measured in the same run on the same core, as ratios.
 *
 * Method: one engine with the requested backends; per (backend, suite,
 * version) --flows sessions bound to that backend (tg_accel_sess_create_on);
 * bursts of --burst contiguous records, record i of the run going to flow
 * i mod flows, each in its own buffer slot. Seal re-seals the same buffers
 * in place burst after burst (only the descriptor fields are reset), so
 * the timed loop is the engine alone. Open needs records sealed under the
 * opening session's next sequence numbers (a pristine copy would fail the
 * second time), so before an open measurement each flow gets a twin open
 * session (same key, starting at its seal session's next sequence number);
 * each burst is then sealed outside the timed region and opened under
 * rte_rdtsc, the two sessions advancing in step.
 * Every measurement runs a short warm-up first, then bursts until
 * --seconds of TSC time are spent in the timed part.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "bench.h"
#include "tg_eal.h"
#include "tg_log.h"
#include "tg_wipe.h"

#define REC_CMD "records"
#define REC_MAX_SIZES 16
#define REC_MAX_BURST 1024
#define REC_MAX_FLOWS 4096
#define REC_MAX_SECONDS 3600.0
#define REC_PLAIN_OFF 64 /**< plaintext offset in a slot: a cache line */
/** Slot size: header room, the largest plaintext, the TLS 1.3 tail. */
#define REC_STRIDE (REC_PLAIN_OFF + TG_REC_MAX_PLAIN + 512)
#define REC_DEFAULT_SIZES "64,256,1024,4096,16384"

/** Parsed command line of `records`. */
struct rec_opts {
	const char *backends;              /**< tg_accel_conf::backends */
	bool suite[TG_SUITE__COUNT];       /**< suites to measure */
	uint16_t tls[2];                   /**< versions to measure */
	unsigned ntls;
	uint32_t sizes[REC_MAX_SIZES];
	unsigned nsizes;
	uint32_t burst, flows;
	double seconds;
	bool dir[2];                       /**< indexed by ::tg_dir */
	bool json, compare, verbose;
	struct tg_peer_conf peer;
};

/** One measurement of ours. */
struct rec_meas {
	const char *backend; /**< name, owned by the engine */
	int bidx;            /**< backend index in the engine */
	enum tg_suite suite;
	uint16_t tls;
	enum tg_dir dir;
	uint32_t size;
	uint64_t records;
	uint64_t cycles;     /**< TSC cycles in the timed part */
	double rps, gbps, cpb;
};

/** Buffers and sessions of the (backend, suite, version) being measured. */
struct rec_bench {
	uint32_t burst, flows;
	uint8_t *arena;               /**< burst slots of REC_STRIDE bytes */
	struct tg_rec *recs;          /**< burst descriptors */
	struct tg_rec **rp;           /**< the burst array handed to accel */
	uint32_t *flow_of;            /**< flow of each record of the burst */
	struct tg_accel_sess **seal;  /**< flows seal sessions */
	struct tg_accel_sess **open;  /**< flows twin open sessions */
	uint32_t next_flow;           /**< flow of the next record */
};

/** Everything a run produces. */
struct rec_run {
	struct rec_opts o;
	struct tg_accel *acc;
	uint64_t hz;
	struct rec_meas *meas;
	unsigned nmeas, cap_meas;
	struct tg_peer_result *peers;
	unsigned npeers, cap_peers;
	bool peers_ran;
	int failures;
	struct tg_progress prog;
};

static void rec_usage(FILE *f)
{
	fprintf(f,
"usage: " TG_BENCH_PROG " records [options]\n"
"\n"
"Seal (or open) bursts of TLS records through the record engine and report\n"
"records/s, Gbit/s (plaintext bits) and TSC cycles per plaintext byte, for\n"
"each backend x suite x version x record size.\n"
"\n"
"options:\n"
"  --backend LIST  ipsecmb | simd | evp | cryptodev:<PMD> | all, or a comma\n"
"                  list\n"
"                  (default all: every backend the engine can load, which\n"
"                  includes cryptodev:crypto_aesni_mb and\n"
"                  cryptodev:crypto_openssl)\n"
"  --suite LIST    aes128gcm | aes256gcm | chacha20poly1305 | all, or a\n"
"                  comma list (default all)\n"
"  --tls V         1.2 | 1.3 | all (default 1.2)\n"
"  --size LIST     record plaintext sizes in bytes, 1..16384\n"
"                  (default " REC_DEFAULT_SIZES ")\n"
"  --burst N       records per burst, 1..1024 (default 32)\n"
"  --flows N       sessions per backend and suite, 1..4096 (default 1); the\n"
"                  records of a burst go round-robin over them, so\n"
"                  --flows 64 spreads one burst over 64 sessions (the\n"
"                  cross-flow batching of the dataplane)\n"
"  --seconds S     timed run per measurement, fractions allowed (default 1)\n"
"  --dir D         seal | open | both (default seal)\n"
"  --json          print a JSON array on stdout instead of tables (one\n"
"                  object per measurement, peer figure, ratio and target;\n"
"                  a measurement names the meson buildtype measured)\n"
"  --compare       also run the peers and print ours/peer ratios and the\n"
"                  targets (see below)\n"
"  --crypto-perf P dpdk-test-crypto-perf program (default: from $PATH)\n"
"  --openssl P     openssl program (default: from $PATH)\n"
"  -v, --verbose   log the engine's calibration and backend messages\n"
"  -h, --help      this text\n"
"\n"
"How it measures:\n"
"  Each burst reuses the same --burst buffers: seal encrypts the plaintext\n"
"  in place again and again, only the record descriptors are reset. open\n"
"  needs records sealed under the opening session's next sequence numbers,\n"
"  so each flow gets a twin open session (same key, starting at its seal\n"
"  session's next sequence number); every burst is sealed outside the\n"
"  timed region, then opened, and only the open burst is timed (no memcpy\n"
"  of records is involved). A short warm-up precedes every measurement.\n"
"  Seal windows are cut in 10 slices and the best slice is reported, and\n"
"  each peer runs 3 times (each a third of the window) and its best run\n"
"  is reported: on a shared machine load from elsewhere then lowers a\n"
"  slice or a run, not the ratio.\n"
"  The EAL runs on one lcore (-l 0); cycles are TSC cycles.\n"
"\n"
"--compare runs, as child processes, on the same core:\n"
"  dpdk-test-crypto-perf --ptest throughput on crypto_aesni_mb, AEAD\n"
"    encrypt, 13-byte AAD, --burst-sz = --burst, --total-ops sized to\n"
"    last about --seconds / 3 per run (its worker lcore on our core);\n"
"  openssl speed -elapsed -mr -evp <cipher> -bytes <size> -seconds <S>\n"
"    (S = --seconds rounded up; -elapsed: wall-clock time like ours).\n"
"  Peers run for every suite and size asked; ratios compare our seal\n"
"  figures. Targets: ipsecmb aes128gcm seal at 16384 B >= 0.95x\n"
"  dpdk-test-crypto-perf and >= 3x openssl speed; at 64 B >= 1.2x\n"
"  dpdk-test-crypto-perf ops/s; chacha20poly1305 on the backend the\n"
"  calibration chooses >= 1.0x openssl speed at 16384 B; and aes128gcm\n"
"  on the backend the calibration chooses >= 3x openssl speed at 16384 B.\n"
"\n"
"examples:\n"
"  " TG_BENCH_PROG " records --backend all --suite all --seconds 0.3\n"
"  " TG_BENCH_PROG " records --backend ipsecmb --suite aes128gcm --flows 64\n"
"  " TG_BENCH_PROG " records --backend all --size 64,1024,16384 --compare\n"
"  " TG_BENCH_PROG " records --backend evp --dir open --tls 1.3 --json\n");
}

/* ---- command line ---------------------------------------------------------- */

/** Check one --backend item: a backend of this build, or bare "cryptodev"
 * (every crypto PMD the bench starts). */
static bool rec_backend_ok(const char *s, size_t n)
{
	return tg_accel_backend_known(s, n) ||
	       (n == 9 && strncmp(s, "cryptodev", 9) == 0);
}

static void rec_parse_backends(struct rec_opts *o, const char *v)
{
	if (strcmp(v, "all") == 0) {
		o->backends = "all";
		return;
	}
	for (const char *p = v;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (!rec_backend_ok(p, n))
			tg_bench_usage_error(REC_CMD,
					     "bad --backend item '%.*s' (expected "
					     "ipsecmb, simd, evp, cryptodev:<PMD> "
					     "or all, as this build has them)",
					     (int)n, p);
		if (c == NULL)
			break;
		p = c + 1;
	}
	if (strlen(v) >= 256)
		tg_bench_usage_error(REC_CMD, "--backend list too long");
	o->backends = v;
}

static void rec_parse_suites(struct rec_opts *o, const char *v)
{
	char tmp[128];
	char *save = NULL;

	memset(o->suite, 0, sizeof(o->suite));
	if (strcmp(v, "all") == 0) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			o->suite[s] = true;
		return;
	}
	if (strlen(v) >= sizeof(tmp) || *v == '\0')
		tg_bench_usage_error(REC_CMD, "bad --suite '%s'", v);
	strcpy(tmp, v);
	for (char *t = strtok_r(tmp, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		enum tg_suite s;

		if (!tg_suite_parse(t, &s))
			tg_bench_usage_error(REC_CMD,
					     "unknown suite '%s' (expected "
					     "aes128gcm, aes256gcm, "
					     "chacha20poly1305 or all)",
					     t);
		o->suite[s] = true;
	}
}

static void rec_parse_tls(struct rec_opts *o, const char *v)
{
	if (strcmp(v, "1.2") == 0) {
		o->tls[0] = TG_TLS12;
		o->ntls = 1;
	} else if (strcmp(v, "1.3") == 0) {
		o->tls[0] = TG_TLS13;
		o->ntls = 1;
	} else if (strcmp(v, "all") == 0 || strcmp(v, "1.2,1.3") == 0) {
		o->tls[0] = TG_TLS12;
		o->tls[1] = TG_TLS13;
		o->ntls = 2;
	} else {
		tg_bench_usage_error(REC_CMD,
				     "bad --tls '%s' (expected 1.2, 1.3 or all)",
				     v);
	}
}

static void rec_parse_dir(struct rec_opts *o, const char *v)
{
	o->dir[TG_DIR_SEAL] = strcmp(v, "seal") == 0 || strcmp(v, "both") == 0;
	o->dir[TG_DIR_OPEN] = strcmp(v, "open") == 0 || strcmp(v, "both") == 0;
	if (!o->dir[TG_DIR_SEAL] && !o->dir[TG_DIR_OPEN])
		tg_bench_usage_error(REC_CMD,
				     "bad --dir '%s' (expected seal, open or both)",
				     v);
}

static void rec_parse_sizes(struct rec_opts *o, const char *v)
{
	tg_result r = tg_bench_parse_u32_list(v, 1, TG_REC_MAX_PLAIN, o->sizes,
					      REC_MAX_SIZES, &o->nsizes);

	if (tg_failed(r))
		tg_bench_usage_error(REC_CMD,
				     "bad --size '%s' (expected up to %d "
				     "comma-separated sizes in 1..%d)",
				     v, REC_MAX_SIZES, TG_REC_MAX_PLAIN);
}

/** Parse the command line; exits 0 after --help, 2 on a usage error. */
static void rec_parse(int argc, char **argv, struct rec_opts *o)
{
	enum { O_BACKEND = 256, O_SUITE, O_TLS, O_SIZE, O_BURST, O_FLOWS,
	       O_SECONDS, O_DIR, O_JSON, O_COMPARE, O_CPERF, O_OPENSSL };
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "suite", required_argument, NULL, O_SUITE },
		{ "tls", required_argument, NULL, O_TLS },
		{ "size", required_argument, NULL, O_SIZE },
		{ "burst", required_argument, NULL, O_BURST },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "dir", required_argument, NULL, O_DIR },
		{ "json", no_argument, NULL, O_JSON },
		{ "compare", no_argument, NULL, O_COMPARE },
		{ "crypto-perf", required_argument, NULL, O_CPERF },
		{ "openssl", required_argument, NULL, O_OPENSSL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	rec_parse_backends(o, "all");
	rec_parse_suites(o, "all");
	rec_parse_tls(o, "1.2");
	rec_parse_sizes(o, REC_DEFAULT_SIZES);
	rec_parse_dir(o, "seal");
	o->burst = 32;
	o->flows = 1;
	o->seconds = 1.0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:hv", lo, NULL)) != -1) {
		switch (c) {
		case O_BACKEND:
			rec_parse_backends(o, optarg);
			break;
		case O_SUITE:
			rec_parse_suites(o, optarg);
			break;
		case O_TLS:
			rec_parse_tls(o, optarg);
			break;
		case O_SIZE:
			rec_parse_sizes(o, optarg);
			break;
		case O_BURST:
			tg_bench_opt_u32(REC_CMD, "--burst", optarg, 1, REC_MAX_BURST,
					 &o->burst);
			break;
		case O_FLOWS:
			tg_bench_opt_u32(REC_CMD, "--flows", optarg, 1, REC_MAX_FLOWS,
					 &o->flows);
			break;
		case O_SECONDS:
			if (tg_failed(tg_bench_parse_seconds(optarg,
							     REC_MAX_SECONDS,
							     &o->seconds)))
				tg_bench_usage_error(REC_CMD,
						     "bad --seconds '%s' (expected "
						     "a number of seconds > 0, "
						     "e.g. 0.2)", optarg);
			break;
		case O_DIR:
			rec_parse_dir(o, optarg);
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_COMPARE:
			o->compare = true;
			break;
		case O_CPERF:
			o->peer.crypto_perf_bin = optarg;
			break;
		case O_OPENSSL:
			o->peer.openssl_bin = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			rec_usage(stdout);
			exit(0);
		case ':':
			tg_bench_usage_error(REC_CMD, "option '%s' needs a value",
					     argv[optind - 1]);
		default:
			if (optopt >= 256) /* a long option given a value */
				tg_bench_usage_error(REC_CMD,
						     "option '%s' takes no value",
						     argv[optind - 1]);
			if (optopt > 0)
				tg_bench_usage_error(REC_CMD,
						     "unknown option '-%c'", optopt);
			tg_bench_usage_error(REC_CMD, "unknown option '%s'",
					     argv[optind - 1]);
		}
	}
	if (optind < argc)
		tg_bench_usage_error(REC_CMD, "unexpected argument '%s'",
				     argv[optind]);
	o->peer.burst = o->burst;
}

/* ---- measuring ------------------------------------------------------------ */

static const char *rec_tls_name(uint16_t v)
{
	return v == TG_TLS13 ? "1.3" : "1.2";
}

static const char *rec_dir_name(enum tg_dir d)
{
	return d == TG_DIR_OPEN ? "open" : "seal";
}

static void rec_bench_free_sessions(struct rec_bench *b)
{
	for (uint32_t f = 0; f < b->flows; f++) {
		tg_accel_sess_free(b->seal[f]);
		tg_accel_sess_free(b->open[f]);
		b->seal[f] = NULL;
		b->open[f] = NULL;
	}
}

static void rec_bench_fini(struct rec_bench *b)
{
	if (b->seal != NULL && b->open != NULL)
		rec_bench_free_sessions(b);
	free(b->arena);
	free(b->recs);
	free(b->rp);
	free(b->flow_of);
	free(b->seal);
	free(b->open);
	memset(b, 0, sizeof(*b));
}

static TG_MUST_CHECK tg_result rec_bench_init(struct rec_bench *b, uint32_t burst,
				uint32_t flows)
{
	memset(b, 0, sizeof(*b));
	b->burst = burst;
	b->flows = flows;
	b->arena = aligned_alloc(64, (size_t)burst * REC_STRIDE);
	b->recs = calloc(burst, sizeof(*b->recs));
	b->rp = calloc(burst, sizeof(*b->rp));
	b->flow_of = calloc(burst, sizeof(*b->flow_of));
	b->seal = calloc(flows, sizeof(*b->seal));
	b->open = calloc(flows, sizeof(*b->open));
	if (b->arena == NULL || b->recs == NULL || b->rp == NULL ||
	    b->flow_of == NULL || b->seal == NULL || b->open == NULL) {
		rec_bench_fini(b);
		return tg_error(TG_E_NOMEM);
	}
	memset(b->arena, 0xa5, (size_t)burst * REC_STRIDE);
	return TG_OK;
}

/** The key material of flow @p f: a key and IV of its own. */
static void rec_keys(struct tg_keys *k, uint32_t f, enum tg_suite suite,
		     uint16_t version, enum tg_dir dir, uint64_t seq)
{
	memset(k, 0, sizeof(*k));
	k->version = version;
	k->suite = (uint8_t)suite;
	k->dir = (uint8_t)dir;
	k->key_len = tg_suite_key_len(suite);
	k->iv_len = tg_suite_iv_len(version, suite);
	k->seq = seq;
	for (unsigned i = 0; i < sizeof(k->key); i++)
		k->key[i] = (uint8_t)(f * 131u + i * 7u + 1u);
	for (unsigned i = 0; i < sizeof(k->iv); i++)
		k->iv[i] = (uint8_t)(f * 17u + i * 3u + 5u);
}

/** Create the flows' seal sessions on backend @p bidx. */
static TG_MUST_CHECK tg_result rec_bench_sessions(struct rec_bench *b, struct tg_accel *acc,
				    unsigned bidx, enum tg_suite suite,
				    uint16_t version)
{
	struct tg_keys k;
	tg_result r = TG_OK;

	b->next_flow = 0;
	for (uint32_t f = 0; f < b->flows && tg_ok(r); f++) {
		rec_keys(&k, f, suite, version, TG_DIR_SEAL, 0);
		r = tg_accel_sess_create_on(acc, &k, bidx, &b->seal[f]);
		TG_WIPE_OBJ(k);
	}
	if (tg_failed(r))
		rec_bench_free_sessions(b);
	return r;
}

/**
 * (Re)create the flows' open sessions as twins of the seal sessions: same
 * key and IV, starting at the seal session's next sequence number, so
 * that what the seal sessions seal next opens in step.
 */
static TG_MUST_CHECK tg_result rec_bench_twins(struct rec_bench *b, struct tg_accel *acc,
				 unsigned bidx, enum tg_suite suite,
				 uint16_t version)
{
	struct tg_keys k;
	tg_result r = TG_OK;

	for (uint32_t f = 0; f < b->flows && tg_ok(r); f++) {
		tg_accel_sess_free(b->open[f]);
		b->open[f] = NULL;
		rec_keys(&k, f, suite, version, TG_DIR_OPEN,
			 tg_accel_sess_seq(b->seal[f]));
		r = tg_accel_sess_create_on(acc, &k, bidx, &b->open[f]);
		TG_WIPE_OBJ(k);
	}
	return r;
}

/** Reset the burst's descriptors for sealing @p size-byte records. */
static inline void rec_fill_seal(struct rec_bench *b, uint32_t size)
{
	uint32_t f = b->next_flow;

	for (uint32_t i = 0; i < b->burst; i++) {
		struct tg_rec *r = &b->recs[i];

		r->sess = b->seal[f];
		r->m = NULL;
		r->buf = b->arena + (size_t)i * REC_STRIDE;
		r->cap = REC_STRIDE;
		r->off = REC_PLAIN_OFF;
		r->len = size;
		r->type = TG_CT_APPLICATION_DATA;
		r->pad = 0;
		r->status = TG_REC_OK;
		b->flow_of[i] = f;
		b->rp[i] = r;
		if (++f == b->flows)
			f = 0;
	}
	b->next_flow = f;
}

/** Point the sealed burst's descriptors at the twin open sessions. */
static inline void rec_fill_open(struct rec_bench *b)
{
	for (uint32_t i = 0; i < b->burst; i++) {
		struct tg_rec *r = &b->recs[i];

		/* rec_off / rec_len are the sealed record's, as seal left
		 * them; the records are opened in the order they were
		 * sealed, so each flow's sequence numbers match. */
		r->sess = b->open[b->flow_of[i]];
		r->status = TG_REC_OK;
		b->rp[i] = r;
	}
}

/** Fail unless the whole burst went through; says which record and why. */
static TG_MUST_CHECK tg_result rec_check(const struct rec_bench *b, uint16_t done,
			   const char *what)
{
	if (done == b->burst)
		return TG_OK;
	fprintf(stderr, "%s: %s: %u of %u records failed; first failure: %s\n",
		TG_BENCH_PROG, what, b->burst - done, b->burst,
		tg_rec_status_name(b->rp[done]->status));
	return tg_error(TG_E_BACKEND);
}

/**
 * Run bursts in direction @p dir of @p size-byte records until the timed
 * part has used @p target TSC cycles. Returns the records and cycles of the
 * timed part in @p records and @p cycles.
 */
/** Slices of a measurement window; the best one is reported. */
#define REC_CHUNKS 10
/** Runs of each peer; the best one is reported (same rule as ours). */
#define REC_PEER_RUNS 3

static TG_MUST_CHECK tg_result rec_loop(struct rec_bench *b, enum tg_dir dir, uint32_t size,
			  uint64_t target, const char *what, uint64_t *records,
			  uint64_t *cycles)
{
	uint16_t n = (uint16_t)b->burst;
	uint64_t done = 0, cyc = 0;

	if (dir == TG_DIR_SEAL) {
		/* The window is cut in REC_CHUNKS slices and the best slice
		 * is reported: on a shared machine a burst of load from
		 * elsewhere lowers one slice, not the figure. */
		uint64_t slice = target / REC_CHUNKS ? target / REC_CHUNKS : 1;
		uint64_t t0 = rte_rdtsc_precise(), t = t0;
		double best = -1;

		do {
			uint64_t s0 = t, sdone = 0;

			do {
				rec_fill_seal(b, size);
				TG_GUARD(rec_check(b, tg_accel_seal_burst(b->rp, n),
						   what));
				sdone += n;
				t = rte_rdtsc();
			} while (t - s0 < slice);
			if ((double)sdone / (double)(t - s0) > best) {
				best = (double)sdone / (double)(t - s0);
				done = sdone;
				cyc = t - s0;
			}
		} while (t - t0 < target);
	} else {
		do {
			uint64_t t0, t1;
			uint16_t k;

			rec_fill_seal(b, size);
			TG_GUARD(rec_check(b, tg_accel_seal_burst(b->rp, n),
					   what));
			rec_fill_open(b);
			t0 = rte_rdtsc_precise();
			k = tg_accel_open_burst(b->rp, n);
			t1 = rte_rdtsc_precise();
			TG_GUARD(rec_check(b, k, what));
			cyc += t1 - t0;
			done += n;
		} while (cyc < target);
	}
	*records = done;
	*cycles = cyc;
	return TG_OK;
}

/** Warm-up before each measurement: a tenth of it, 5 to 100 ms. */
static double rec_warmup_s(double seconds)
{
	return fmin(0.1, fmax(0.005, seconds / 10.0));
}

/** Append a measurement slot to the run. */
static struct rec_meas *rec_meas_add(struct rec_run *run)
{
	if (run->nmeas == run->cap_meas) {
		unsigned cap = run->cap_meas ? run->cap_meas * 2 : 64;
		struct rec_meas *m = realloc(run->meas, cap * sizeof(*m));

		if (m == NULL)
			return NULL;
		run->meas = m;
		run->cap_meas = cap;
	}
	return memset(&run->meas[run->nmeas], 0, sizeof(run->meas[0]));
}

/**
 * Measure every size and direction for one (backend, suite, version): make
 * the sessions, warm up, measure, record the results.
 */
static TG_MUST_CHECK tg_result rec_measure_set(struct rec_run *run, struct rec_bench *b,
				 unsigned bidx, enum tg_suite suite,
				 uint16_t version)
{
	const struct rec_opts *o = &run->o;
	const char *bname = tg_accel_backend_name(run->acc, bidx);
	uint64_t target = (uint64_t)(o->seconds * (double)run->hz);
	uint64_t warm = (uint64_t)(rec_warmup_s(o->seconds) * (double)run->hz);
	tg_result r;

	r = rec_bench_sessions(b, run->acc, bidx, suite, version);
	if (tg_failed(r)) {
		fprintf(stderr, "%s: cannot create %u %s session(s) on %s: %s\n",
			TG_BENCH_PROG, b->flows, tg_suite_name(suite), bname,
			tg_strerror(r.code));
		return r;
	}
	for (unsigned z = 0; z < o->nsizes && tg_ok(r); z++) {
		for (int d = TG_DIR_SEAL; d <= TG_DIR_OPEN && tg_ok(r); d++) {
			uint32_t size = o->sizes[z];
			struct rec_meas *m;
			uint64_t nrec, cyc;
			char what[160];

			if (!o->dir[d])
				continue;
			snprintf(what, sizeof(what), "%s %s tls%s %s %uB", bname,
				 tg_suite_name(suite), rec_tls_name(version),
				 rec_dir_name((enum tg_dir)d), size);
			tg_progress_step(&run->prog, "%s", what);
			if (d == TG_DIR_OPEN) {
				r = rec_bench_twins(b, run->acc, bidx, suite,
						    version);
				if (tg_failed(r))
					fprintf(stderr, "%s: %s: cannot create "
						"the open sessions: %s\n",
						TG_BENCH_PROG, what,
						tg_strerror(r.code));
			}
			if (tg_ok(r)) /* warm-up */
				r = rec_loop(b, (enum tg_dir)d, size, warm, what,
					     &nrec, &cyc);
			if (tg_ok(r))
				r = rec_loop(b, (enum tg_dir)d, size, target,
					     what, &nrec, &cyc);
			m = tg_ok(r) ? rec_meas_add(run) : NULL;
			if (tg_ok(r) && m == NULL)
				r = tg_error(TG_E_NOMEM);
			if (tg_failed(r))
				break;
			m->backend = bname;
			m->bidx = (int)bidx;
			m->suite = suite;
			m->tls = version;
			m->dir = (enum tg_dir)d;
			m->size = size;
			m->records = nrec;
			m->cycles = cyc;
			m->rps = (double)nrec * (double)run->hz / (double)cyc;
			m->gbps = m->rps * size * 8.0 / 1e9;
			m->cpb = (double)cyc / ((double)nrec * size);
			run->nmeas++;
		}
	}
	rec_bench_free_sessions(b);
	return r;
}

/* ---- peers -------------------------------------------------------------- */

/** Best seal records/s we measured for @p suite at @p size, or 0. */
static double rec_best_rps(const struct rec_run *run, enum tg_suite suite,
			   uint32_t size)
{
	double best = 0;

	for (unsigned i = 0; i < run->nmeas; i++) {
		const struct rec_meas *m = &run->meas[i];

		if (m->suite == suite && m->size == size &&
		    m->dir == TG_DIR_SEAL && m->rps > best)
			best = m->rps;
	}
	return best;
}

/** Whether a peer failure means the peer cannot run here at all. */
static bool rec_peer_missing(tg_result r)
{
	return r.code == TG_E_NOTFOUND || r.code == TG_E_UNSUPPORTED;
}

/**
 * Run both peers for every suite and size asked. A peer that is missing
 * (or cannot run here) is reported once and skipped; a failed run is
 * reported and the rest goes on.
 */
static TG_MUST_CHECK tg_result rec_run_peers(struct rec_run *run)
{
	const struct rec_opts *o = &run->o;
	unsigned os_seconds = (unsigned)ceil(o->seconds);
	bool skip_cp = false, skip_os = false;

	run->cap_peers = TG_SUITE__COUNT * REC_MAX_SIZES * 2;
	run->peers = calloc(run->cap_peers, sizeof(*run->peers));
	TG_ENSURE(run->peers != NULL, TG_E_NOMEM);
	run->peers_ran = true;
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		if (!o->suite[s])
			continue;
		for (unsigned z = 0; z < o->nsizes; z++) {
			uint32_t size = o->sizes[z];
			double rps = rec_best_rps(run, (enum tg_suite)s, size);
			double ops;
			tg_result r;

			/* Size --total-ops to last about --seconds, from our
			 * own best rate (else a guess: 2 Mops + 1 GB/s). */
			if (rps <= 0)
				rps = 1.0 / (1.0 / 2e6 + size / 1e9);
			ops = fmin(fmax(rps * o->seconds / REC_PEER_RUNS, 1000.0), 2e8);
			tg_progress_step(&run->prog, "%s %s %uB",
					 TG_PEER_CRYPTO_PERF, tg_suite_name(s),
					 size);
			/* best of REC_PEER_RUNS runs, ops sized for a slice
			 * of our window each, like our best slice */
			for (unsigned k = 0; !skip_cp && k < REC_PEER_RUNS; k++) {
				struct tg_peer_result pr;

				r = tg_peer_crypto_perf(&o->peer, (enum tg_suite)s,
							size, (uint64_t)ops, &pr);
				skip_cp = rec_peer_missing(r);
				if (tg_failed(r))
					break;
				if (k == 0)
					run->npeers++;
				if (k == 0 || pr.ops_per_s > run->peers[run->npeers - 1].ops_per_s)
					run->peers[run->npeers - 1] = pr;
			}
			tg_progress_step(&run->prog, "%s %s %uB",
					 TG_PEER_OPENSSL, tg_suite_name(s), size);
			for (unsigned k = 0; !skip_os && k < REC_PEER_RUNS; k++) {
				struct tg_peer_result pr;

				/* openssl speed takes whole seconds only. */
				r = tg_peer_openssl_speed(&o->peer, (enum tg_suite)s,
							  size,
							  os_seconds ? os_seconds : 1,
							  &pr);
				skip_os = rec_peer_missing(r);
				if (tg_failed(r))
					break;
				if (k == 0)
					run->npeers++;
				if (k == 0 || pr.ops_per_s > run->peers[run->npeers - 1].ops_per_s)
					run->peers[run->npeers - 1] = pr;
			}
		}
	}
	return TG_OK;
}

/** The peer figure for @p peer, @p suite and @p size, or NULL. */
static const struct tg_peer_result *rec_peer(const struct rec_run *run,
					     const char *peer,
					     enum tg_suite suite, uint32_t size)
{
	for (unsigned i = 0; i < run->npeers; i++) {
		const struct tg_peer_result *p = &run->peers[i];

		if (strcmp(p->peer, peer) == 0 && p->suite == suite &&
		    p->size == size)
			return p;
	}
	return NULL;
}

/* ---- targets ------------------------------------------------------------- */

/** A performance target: ours / peer >= threshold. */
struct rec_target {
	const char *backend; /**< backend name; NULL = the calibration's choice */
	enum tg_suite suite;
	uint32_t size;
	const char *peer;
	bool ops;            /**< compare ops/s (else Gbit/s) */
	double threshold;
};

static const struct rec_target rec_targets[] = {
	{ "ipsecmb", TG_SUITE_AES128GCM, 16384, TG_PEER_CRYPTO_PERF, false, 0.95 },
	{ "ipsecmb", TG_SUITE_AES128GCM, 16384, TG_PEER_OPENSSL, false, 3.0 },
	{ "ipsecmb", TG_SUITE_AES128GCM, 64, TG_PEER_CRYPTO_PERF, true, 1.2 },
	{ NULL, TG_SUITE_CHACHA20POLY1305, 16384, TG_PEER_OPENSSL, false, 1.0 },
	/* the 3x above as the engine runs it: on whatever it chose */
	{ NULL, TG_SUITE_AES128GCM, 16384, TG_PEER_OPENSSL, false, 3.0 },
};
#define REC_NTARGETS (sizeof(rec_targets) / sizeof(rec_targets[0]))

/** Outcome of one target. */
struct rec_target_res {
	char name[160];
	const char *backend;         /**< resolved backend, or NULL */
	const struct rec_meas *ours; /**< our measurement, or NULL */
	const struct tg_peer_result *peer;
	double ratio;
	const char *status;          /**< "met", "not met", "n/a" */
	char reason[160];            /**< why n/a */
};

/** Our seal measurement of @p backend / @p suite / @p size (TLS 1.2 first). */
static const struct rec_meas *rec_find(const struct rec_run *run,
				       const char *backend, enum tg_suite suite,
				       uint32_t size)
{
	const struct rec_meas *best = NULL;

	for (unsigned i = 0; i < run->nmeas; i++) {
		const struct rec_meas *m = &run->meas[i];

		if (strcmp(m->backend, backend) == 0 && m->suite == suite &&
		    m->size == size && m->dir == TG_DIR_SEAL &&
		    (best == NULL || m->tls == TG_TLS12))
			best = m;
	}
	return best;
}

static void rec_target_eval(const struct rec_run *run,
			    const struct rec_target *t,
			    struct rec_target_res *res)
{
	int choice = tg_accel_choice(run->acc, t->suite, t->size);

	memset(res, 0, sizeof(*res));
	res->ratio = NAN;
	res->status = "n/a";
	res->backend = t->backend;
	if (res->backend == NULL && choice >= 0)
		res->backend = tg_accel_backend_name(run->acc, (unsigned)choice);
	snprintf(res->name, sizeof(res->name),
		 "%s %s seal %uB >= %gx %s %s", t->backend ? t->backend
							   : "chosen backend",
		 tg_suite_name(t->suite), t->size, t->threshold, t->peer,
		 t->ops ? "ops/s" : "Gbit/s");
	if (res->backend == NULL) {
		snprintf(res->reason, sizeof(res->reason),
			 "no loaded backend has %s", tg_suite_name(t->suite));
		return;
	}
	res->ours = rec_find(run, res->backend, t->suite, t->size);
	res->peer = rec_peer(run, t->peer, t->suite, t->size);
	if (res->ours == NULL) {
		snprintf(res->reason, sizeof(res->reason),
			 "%s %s seal %uB not measured (--backend, --suite, "
			 "--size, --dir)",
			 res->backend, tg_suite_name(t->suite), t->size);
		return;
	}
	if (res->peer == NULL) {
		snprintf(res->reason, sizeof(res->reason),
			 "no %s figure (missing or failed: see stderr)",
			 t->peer);
		return;
	}
	res->ratio = t->ops ? res->ours->rps / res->peer->ops_per_s
			    : res->ours->gbps / res->peer->gbps;
	res->status = res->ratio >= t->threshold ? "met" : "not met";
}

/* ---- output -------------------------------------------------------------- */

/** True when @p m ran on the backend the calibration picks for its size. */
static bool rec_is_choice(const struct rec_run *run, const struct rec_meas *m)
{
	return tg_accel_choice(run->acc, m->suite, m->size) == m->bidx;
}

static void rec_print_table(const struct rec_run *run)
{
	const struct rec_opts *o = &run->o;

	printf("\n%-26s %-17s %-4s %-4s %6s %6s %6s %10s %9s %9s\n", "backend",
	       "suite", "tls", "dir", "size", "burst", "flows", "Mrec/s",
	       "Gbit/s", "cycles/B");
	for (unsigned i = 0; i < run->nmeas; i++) {
		const struct rec_meas *m = &run->meas[i];

		printf("%-26s %-17s %-4s %-4s %6u %6u %6u %10.3f %9.3f %9.3f\n",
		       m->backend, tg_suite_name(m->suite), rec_tls_name(m->tls),
		       rec_dir_name(m->dir), m->size, o->burst, o->flows,
		       m->rps / 1e6, m->gbps, m->cpb);
	}
	printf("\nGbit/s counts plaintext bits; cycles/B are TSC cycles "
	       "(%.3f GHz) per plaintext byte, one core.\n",
	       (double)run->hz / 1e9);
	if (o->dir[TG_DIR_OPEN])
		printf("open: only the open bursts are timed (each burst is "
		       "sealed first, untimed, for a twin open session).\n");
	if (o->flows == 1)
		printf("flows: 1 session per backend and suite; --flows 64 "
		       "spreads one burst over 64 sessions (cross-flow "
		       "batching).\n");
	else
		printf("flows: each burst of %u records goes round-robin over "
		       "%u sessions (cross-flow batching).\n",
		       o->burst, o->flows);
}


/** Format ours/peer as "1.23x", or "-" without a peer figure. */
static const char *rec_ratio_str(char *buf, size_t n, double ours,
				 double peer)
{
	if (peer > 0 && isfinite(ours / peer))
		snprintf(buf, n, "%.2fx", ours / peer);
	else
		snprintf(buf, n, "-");
	return buf;
}

static void rec_print_compare(const struct rec_run *run)
{
	const struct rec_opts *o = &run->o;

	printf("\nPeers (AEAD encrypt, child processes, on the core we "
	       "measured on):\n");
	printf("%-22s %-17s %6s %6s %10s %9s %9s\n", "peer", "suite", "size",
	       "burst", "Mops/s", "Gbit/s", "cycles/B");
	for (unsigned i = 0; i < run->npeers; i++) {
		const struct tg_peer_result *p = &run->peers[i];

		printf("%-22s %-17s %6u %6u %10.3f %9.3f %9.3f\n", p->peer,
		       tg_suite_name(p->suite), p->size, p->burst,
		       p->ops_per_s / 1e6, p->gbps, p->cycles_per_byte);
	}
	if (run->npeers == 0)
		printf("(no peer figures)\n");

	printf("\nRatios ours/peer, seal (at equal size the ops/s and Gbit/s "
	       "ratios are one number);\n'*' = the backend the calibration "
	       "chooses for that suite and size:\n");
	printf("%-17s %-4s %6s %-28s %9s %16s %14s\n", "suite", "tls", "size",
	       "backend", "Gbit/s", "vs crypto-perf", "vs openssl");
	for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
		for (unsigned z = 0; z < o->nsizes; z++) {
			const struct tg_peer_result *cp =
				rec_peer(run, TG_PEER_CRYPTO_PERF, s, o->sizes[z]);
			const struct tg_peer_result *os =
				rec_peer(run, TG_PEER_OPENSSL, s, o->sizes[z]);

			for (unsigned i = 0; i < run->nmeas; i++) {
				const struct rec_meas *m = &run->meas[i];
				char name[64], r1[32], r2[32];

				if (m->suite != s || m->size != o->sizes[z] ||
				    m->dir != TG_DIR_SEAL)
					continue;
				snprintf(name, sizeof(name), "%s%s", m->backend,
					 rec_is_choice(run, m) ? " *" : "");
				printf("%-17s %-4s %6u %-28s %9.3f %16s %14s\n",
				       tg_suite_name(m->suite),
				       rec_tls_name(m->tls), m->size, name,
				       m->gbps,
				       rec_ratio_str(r1, sizeof(r1), m->rps,
						     cp ? cp->ops_per_s : 0),
				       rec_ratio_str(r2, sizeof(r2), m->gbps,
						     os ? os->gbps : 0));
			}
		}
	}

	printf("\nTargets:\n");
	for (unsigned t = 0; t < REC_NTARGETS; t++) {
		struct rec_target_res tr;
		char st[16];

		rec_target_eval(run, &rec_targets[t], &tr);
		snprintf(st, sizeof(st), "[%s]", tr.status);
		if (isfinite(tr.ratio))
			printf("  %-10s %s: %.2fx (%s)\n", st, tr.name, tr.ratio,
			       tr.backend);
		else
			printf("  %-10s %s: %s\n", st, tr.name, tr.reason);
	}
	if (run->npeers > 0)
		printf("\nPeer commands:\n");
	for (unsigned i = 0; i < run->npeers; i++)
		printf("  %s\n", run->peers[i].command);
}

/** One JSON object per measurement, peer figure, ratio and target. */
static void rec_print_json(const struct rec_run *run)
{
	const struct rec_opts *o = &run->o;
	struct tg_json j;

	tg_json_array_begin(&j, stdout);
	for (unsigned i = 0; i < run->nmeas; i++) {
		const struct rec_meas *m = &run->meas[i];

		tg_json_obj_begin(&j);
		tg_json_str(&j, "type", "measurement");
		tg_json_str(&j, "buildtype", tg_bench_buildtype());
		tg_json_str(&j, "backend", m->backend);
		tg_json_str(&j, "suite", tg_suite_name(m->suite));
		tg_json_str(&j, "tls", rec_tls_name(m->tls));
		tg_json_str(&j, "dir", rec_dir_name(m->dir));
		tg_json_uint(&j, "size", m->size);
		tg_json_uint(&j, "burst", o->burst);
		tg_json_uint(&j, "flows", o->flows);
		tg_json_uint(&j, "records", m->records);
		tg_json_num(&j, "seconds", (double)m->cycles / (double)run->hz);
		tg_json_num(&j, "records_per_s", m->rps);
		tg_json_num(&j, "gbps", m->gbps);
		tg_json_num(&j, "cycles_per_byte", m->cpb);
		tg_json_bool(&j, "chosen", rec_is_choice(run, m));
		tg_json_obj_end(&j);
	}
	for (unsigned i = 0; i < run->npeers; i++) {
		const struct tg_peer_result *p = &run->peers[i];

		tg_json_obj_begin(&j);
		tg_json_str(&j, "type", "peer");
		tg_json_str(&j, "backend", p->peer);
		tg_json_str(&j, "suite", tg_suite_name(p->suite));
		tg_json_null(&j, "tls");
		tg_json_str(&j, "dir", "seal");
		tg_json_uint(&j, "size", p->size);
		tg_json_uint(&j, "burst", p->burst);
		tg_json_uint(&j, "flows", 1);
		tg_json_num(&j, "records_per_s", p->ops_per_s);
		tg_json_num(&j, "gbps", p->gbps);
		tg_json_num(&j, "cycles_per_byte", p->cycles_per_byte);
		tg_json_str(&j, "command", p->command);
		tg_json_obj_end(&j);
	}
	for (unsigned i = 0; i < run->nmeas && run->peers_ran; i++) {
		const struct rec_meas *m = &run->meas[i];

		if (m->dir != TG_DIR_SEAL)
			continue;
		for (unsigned k = 0; k < run->npeers; k++) {
			const struct tg_peer_result *p = &run->peers[k];

			if (p->suite != m->suite || p->size != m->size)
				continue;
			tg_json_obj_begin(&j);
			tg_json_str(&j, "type", "ratio");
			tg_json_str(&j, "backend", m->backend);
			tg_json_str(&j, "peer", p->peer);
			tg_json_str(&j, "suite", tg_suite_name(m->suite));
			tg_json_str(&j, "tls", rec_tls_name(m->tls));
			tg_json_str(&j, "dir", "seal");
			tg_json_uint(&j, "size", m->size);
			tg_json_num(&j, "records_per_s_ratio",
				    m->rps / p->ops_per_s);
			tg_json_num(&j, "gbps_ratio", m->gbps / p->gbps);
			tg_json_bool(&j, "chosen", rec_is_choice(run, m));
			tg_json_obj_end(&j);
		}
	}
	for (unsigned t = 0; t < REC_NTARGETS && run->peers_ran; t++) {
		const struct rec_target *tg = &rec_targets[t];
		struct rec_target_res tr;

		rec_target_eval(run, tg, &tr);
		tg_json_obj_begin(&j);
		tg_json_str(&j, "type", "target");
		tg_json_str(&j, "name", tr.name);
		if (tr.backend != NULL)
			tg_json_str(&j, "backend", tr.backend);
		else
			tg_json_null(&j, "backend");
		tg_json_str(&j, "suite", tg_suite_name(tg->suite));
		tg_json_str(&j, "dir", "seal");
		tg_json_uint(&j, "size", tg->size);
		tg_json_str(&j, "peer", tg->peer);
		tg_json_str(&j, "metric", tg->ops ? "records_per_s" : "gbps");
		tg_json_num(&j, "threshold", tg->threshold);
		tg_json_num(&j, "ratio", tr.ratio);
		if (isfinite(tr.ratio))
			tg_json_bool(&j, "met", tr.ratio >= tg->threshold);
		else
			tg_json_null(&j, "met");
		tg_json_str(&j, "status", tr.status);
		if (tr.reason[0] != '\0')
			tg_json_str(&j, "reason", tr.reason);
		tg_json_obj_end(&j);
	}
	tg_json_array_end(&j);
}

/* ---- the command ----------------------------------------------------------- */

/** True when @p spec names more than one backend (or "all"). */
static bool rec_many_backends(const char *spec)
{
	return strcmp(spec, "all") == 0 || strchr(spec, ',') != NULL;
}

/** Start the EAL (lcore 0, the crypto vdevs a cryptodev backend needs). */
static TG_MUST_CHECK tg_result rec_start_eal(const struct rec_opts *o)
{
	struct tg_eal_opts eo = { .lcores = "0" };
	unsigned nv = 0;

	/* Logs (ours and DPDK's) go to stderr only, never stdout (results,
	 * JSON) nor syslog. */
	rte_openlog_stream(stderr);
	if (strcmp(o->backends, "all") == 0 ||
	    strstr(o->backends, "cryptodev") != NULL) {
		eo.vdevs[nv++] = "crypto_aesni_mb";
		eo.vdevs[nv++] = "crypto_openssl";
	}
	if (o->verbose) /* rte_log drops what is above the global level */
		eo.log_level = "info";
	return tg_eal_start(TG_BENCH_PROG, &eo);
}

/** Steps for the progress line, and whether the run is long enough. */
static void rec_plan(struct rec_run *run, unsigned *pairs_out)
{
	const struct rec_opts *o = &run->o;
	unsigned pairs = 0, ndir = o->dir[0] + o->dir[1], nsuites = 0;
	unsigned steps, peer_steps = 0;
	double est;

	for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
		nsuites += o->suite[s];
	for (unsigned b = 0; b < tg_accel_backend_count(run->acc); b++)
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++)
			pairs += o->suite[s] &&
				 tg_accel_backend_has(run->acc, b, s);
	steps = pairs * o->ntls * o->nsizes * ndir;
	est = steps * (o->seconds * (o->dir[TG_DIR_OPEN] ? 1.5 : 1.0) +
		       rec_warmup_s(o->seconds));
	if (o->compare) {
		peer_steps = nsuites * o->nsizes * 2;
		est += peer_steps * o->seconds;
	}
	tg_progress_init(&run->prog, est > 1.0, steps + peer_steps);
	*pairs_out = pairs;
}

static void rec_run_free(struct rec_run *run)
{
	free(run->meas);
	free(run->peers);
	tg_accel_destroy(run->acc);
	tg_eal_stop();
}

static int rec_main(int argc, char **argv)
{
	struct rec_run run;
	struct tg_accel_conf conf = { 0 };
	struct rec_bench b;
	unsigned pairs;
	tg_result r;
	FILE *info;

	memset(&run, 0, sizeof(run));
	rec_parse(argc, argv, &run.o);
	info = run.o.json ? stderr : stdout;
	if (run.o.verbose)
		tg_log_set_level(TG_LOG_INFO);

	r = rec_start_eal(&run.o);
	if (tg_failed(r)) {
		fprintf(stderr, "%s: cannot start the DPDK EAL: %s\n",
			TG_BENCH_PROG, tg_strerror(r.code));
		return TG_BENCH_EXIT_FAIL;
	}
	run.hz = rte_get_tsc_hz();
	conf.backends = run.o.backends;
	/* One backend: nothing to choose, skip the calibration. */
	conf.no_calibrate = !rec_many_backends(run.o.backends);
	r = tg_accel_create(&conf, &run.acc);
	if (tg_failed(r)) {
		fprintf(stderr, "%s: cannot start the record engine with "
			"--backend %s: %s\n",
			TG_BENCH_PROG, run.o.backends, tg_strerror(r.code));
		tg_eal_stop();
		return TG_BENCH_EXIT_FAIL;
	}
	tg_bench_print_build(info);
	fprintf(info, "backends:");
	for (unsigned i = 0; i < tg_accel_backend_count(run.acc); i++)
		fprintf(info, " %s", tg_accel_backend_name(run.acc, i));
	fprintf(info, "\n");
	if (!conf.no_calibrate) {
		fprintf(info, "calibration choice (fastest backend per suite "
			      "and record size):\n");
		tg_accel_print_choice(run.acc, info);
	}
	fflush(info);

	rec_plan(&run, &pairs);
	r = rec_bench_init(&b, run.o.burst, run.o.flows);
	if (tg_failed(r)) {
		fprintf(stderr, "%s: out of memory\n", TG_BENCH_PROG);
		rec_run_free(&run);
		return TG_BENCH_EXIT_FAIL;
	}
	for (unsigned bi = 0; bi < tg_accel_backend_count(run.acc); bi++) {
		for (unsigned s = 0; s < TG_SUITE__COUNT; s++) {
			if (!run.o.suite[s])
				continue;
			if (!tg_accel_backend_has(run.acc, bi, s)) {
				fprintf(stderr, "%s: note: %s has no %s; "
					"skipped\n", TG_BENCH_PROG,
					tg_accel_backend_name(run.acc, bi),
					tg_suite_name(s));
				continue;
			}
			for (unsigned v = 0; v < run.o.ntls; v++)
				if (tg_failed(rec_measure_set(&run, &b, bi, s,
							      run.o.tls[v])))
					run.failures++;
		}
	}
	rec_bench_fini(&b);
	if (pairs == 0)
		fprintf(stderr, "%s: no loaded backend has the suites asked "
			"for\n", TG_BENCH_PROG);

	if (run.o.compare && tg_failed(rec_run_peers(&run)))
		run.failures++;

	if (run.o.json) {
		rec_print_json(&run);
	} else {
		rec_print_table(&run);
		if (run.o.compare)
			rec_print_compare(&run);
	}
	rec_run_free(&run);
	return run.failures || pairs == 0 ? TG_BENCH_EXIT_FAIL : 0;
}

const struct tg_bench_cmd tg_bench_cmd_records = {
	.name = "records",
	.summary = "TLS record seal/open throughput per backend, suite, "
		   "size; --compare runs the peers",
	.run = rec_main,
	.usage = rec_usage,
};
