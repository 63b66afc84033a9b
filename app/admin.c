/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file admin.c
 * The admin listener (/metrics, Prometheus text format 0.0.4, served by
 * libmicrohttpd) and `tlsgate stats`, its client.
 */
#include "tg_admin.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "tg_alert.h"
#include "tg_log.h"

/* ==== rendering ============================================================= */

/** Output of a render: bytes beyond @c cap are counted, not written. */
struct tg_wr {
	char *buf;
	size_t cap;
	size_t len; /**< bytes the text needs so far */
};

static void wr_printf(struct tg_wr *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wr_printf(struct tg_wr *w, const char *fmt, ...)
{
	size_t room = w->len < w->cap ? w->cap - w->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? w->buf + w->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

static void wr_putc(struct tg_wr *w, char c)
{
	if (w->len + 1 < w->cap) {
		w->buf[w->len] = c;
		w->buf[w->len + 1] = '\0';
	}
	w->len++;
}

/** A label value, escaped as the exposition format says (\\, \", \n). */
static void wr_label(struct tg_wr *w, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '\\': wr_putc(w, '\\'); wr_putc(w, '\\'); break;
		case '"': wr_putc(w, '\\'); wr_putc(w, '"'); break;
		case '\n': wr_putc(w, '\\'); wr_putc(w, 'n'); break;
		default: wr_putc(w, *v); break;
		}
	}
}

/** The HELP and TYPE lines of a family. */
static void wr_family(struct tg_wr *w, const char *name, const char *type,
		      const char *help)
{
	wr_printf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/** A counter of one worker, read while its worker may be writing it. */
static inline uint64_t wk_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

#define WK(s, field) wk_load(&(s)->field)

/** A per-worker family with one series per worker: the field at @p off. */
static void wr_per_worker(struct tg_wr *w, const struct tg_admin_src *src,
			  const char *name, const char *type, const char *help,
			  size_t off)
{
	wr_family(w, name, type, help);
	for (unsigned i = 0; i < src->n_workers; i++) {
		const char *base = (const char *)&src->stats[i];

		wr_printf(w, "%s{worker=\"%u\"} %" PRIu64 "\n", name, i,
			  wk_load((const uint64_t *)(const void *)(base + off)));
	}
}

/**
 * A family with two series per worker, told apart by label @p label:
 * value @p a (counter at offset @p off_a of tg_wk_stats) and @p b.
 */
static void wr_per_worker_by(struct tg_wr *w, const struct tg_admin_src *src,
			     const char *name, const char *type,
			     const char *help, const char *label,
			     const char *a, size_t off_a, const char *b,
			     size_t off_b)
{
	wr_family(w, name, type, help);
	for (unsigned i = 0; i < src->n_workers; i++) {
		const char *base = (const char *)&src->stats[i];

		wr_printf(w, "%s{worker=\"%u\",%s=\"%s\"} %" PRIu64 "\n", name, i,
			  label, a,
			  wk_load((const uint64_t *)(const void *)(base + off_a)));
		wr_printf(w, "%s{worker=\"%u\",%s=\"%s\"} %" PRIu64 "\n", name, i,
			  label, b,
			  wk_load((const uint64_t *)(const void *)(base + off_b)));
	}
}

/** "host:port" (numeric) of an address whose text is empty. */
static void addr_str(const struct tg_addr *a, char *out, size_t cap)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (a->text[0] != '\0') {
		snprintf(out, cap, "%s", a->text);
		return;
	}
	if (a->salen == 0 ||
	    getnameinfo((const struct sockaddr *)&a->sa, a->salen, host,
			sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, cap, "?");
		return;
	}
	snprintf(out, cap, a->sa.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

/* Burst histogram: burst_hist[b] counts bursts of 2^b .. 2^(b+1)-1
 * records (tg_stats_burst_bucket). The first six buckets are exposed as
 * le = 1, 3, 7, 15, 31, 63; the rest (64 and over) fall in +Inf. */
#define TG_ADMIN_BURST_LE 6

/** Value of one burst in bucket @p b for the approximate _sum: the
 *  midpoint of a closed bucket; the lower bound of the others (bursts
 *  stop at TG_ACCEL_BURST_MAX = 64, so 64 is exact in practice). */
static double burst_mid(unsigned b)
{
	double lo = (double)(1u << b), hi = (double)((2u << b) - 1u);

	return b < TG_ADMIN_BURST_LE ? (lo + hi) / 2.0 : lo;
}

static void wr_burst(struct tg_wr *w, const struct tg_admin_src *src)
{
	static const char *const name = "tlsgate_burst_size";

	wr_family(w, name, "histogram",
		  "Records per seal/open burst. _sum is approximate: each burst "
		  "counts as the midpoint of its power-of-two bucket (its lower bound for 64 "
		  "and over).");
	for (unsigned i = 0; i < src->n_workers; i++) {
		const struct tg_wk_stats *s = &src->stats[i];
		uint64_t cum = 0;
		double sum = 0.0;

		for (unsigned b = 0; b < TG_STATS_BURST_BUCKETS; b++) {
			uint64_t v = wk_load(&s->burst_hist[b]);

			cum += v;
			sum += (double)v * burst_mid(b);
			if (b < TG_ADMIN_BURST_LE)
				wr_printf(w,
					  "%s_bucket{worker=\"%u\",le=\"%u\"} %" PRIu64 "\n",
					  name, i, (2u << b) - 1u, cum);
		}
		wr_printf(w, "%s_bucket{worker=\"%u\",le=\"+Inf\"} %" PRIu64 "\n",
			  name, i, cum);
		wr_printf(w, "%s_sum{worker=\"%u\"} %.1f\n", name, i, sum);
		wr_printf(w, "%s_count{worker=\"%u\"} %" PRIu64 "\n", name, i, cum);
	}
}

static void wr_alerts(struct tg_wr *w, const struct tg_admin_src *src)
{
	static const char *const name = "tlsgate_handshakes_failed_total";

	wr_family(w, name, "counter",
		  "Handshakes failed, by the alert sent (none: closed without "
		  "an alert).");
	for (unsigned i = 0; i < src->n_workers; i++) {
		const struct tg_wk_stats *s = &src->stats[i];
		uint64_t total = WK(s, hs_failed), by_alert = 0;

		for (unsigned a = 0; a < 256; a++) {
			uint64_t v = wk_load(&s->hs_failed_alert[a]);
			const char *an = tg_alert_name((uint8_t)a);

			if (v == 0)
				continue;
			by_alert += v;
			if (strcmp(an, "unknown_alert") == 0)
				wr_printf(w, "%s{worker=\"%u\",alert=\"unknown_%u\"} %" PRIu64 "\n",
					  name, i, a, v);
			else
				wr_printf(w, "%s{worker=\"%u\",alert=\"%s\"} %" PRIu64 "\n",
					  name, i, an, v);
		}
		if (total > by_alert)
			wr_printf(w, "%s{worker=\"%u\",alert=\"none\"} %" PRIu64 "\n",
				  name, i, total - by_alert);
	}
}

/** Number of accel backends with per-worker counters, and their names. */
static unsigned accel_n(const struct tg_admin_src *src)
{
	unsigned n;

	if (src->acc == NULL)
		return TG_STATS_MAX_BACKENDS;
	n = tg_accel_backend_count(src->acc);
	return n < TG_STATS_MAX_BACKENDS ? n : TG_STATS_MAX_BACKENDS;
}

/** Without an engine, only backend indexes that counted something. */
static bool accel_used(const struct tg_admin_src *src, unsigned b)
{
	if (src->acc != NULL)
		return true;
	for (unsigned i = 0; i < src->n_workers; i++) {
		const struct tg_wk_stats *s = &src->stats[i];

		if (wk_load(&s->records_sealed[b]) != 0 ||
		    wk_load(&s->records_opened[b]) != 0)
			return true;
	}
	return false;
}

static void wr_accel_name(struct tg_wr *w, const struct tg_admin_src *src,
			  unsigned b)
{
	const char *n = src->acc ? tg_accel_backend_name(src->acc, b) : NULL;

	if (n != NULL)
		wr_label(w, n);
	else
		wr_printf(w, "%u", b);
}

static void wr_records(struct tg_wr *w, const struct tg_admin_src *src,
		       const char *name, const char *help, bool bytes)
{
	unsigned nb = accel_n(src);

	wr_family(w, name, "counter", help);
	for (unsigned i = 0; i < src->n_workers; i++) {
		const struct tg_wk_stats *s = &src->stats[i];

		for (unsigned d = 0; d < 2; d++) {
			for (unsigned b = 0; b < nb; b++) {
				const uint64_t *p;

				if (!accel_used(src, b))
					continue;
				if (bytes)
					p = d ? &s->bytes_opened[b] : &s->bytes_sealed[b];
				else
					p = d ? &s->records_opened[b] : &s->records_sealed[b];
				wr_printf(w, "%s{worker=\"%u\",dir=\"%s\",backend=\"",
					  name, i, d ? "opened" : "sealed");
				wr_accel_name(w, src, b);
				wr_printf(w, "\"} %" PRIu64 "\n", wk_load(p));
			}
		}
	}
}

static void wr_bytes(struct tg_wr *w, const struct tg_admin_src *src)
{
	static const char *const name = "tlsgate_bytes_total";

	wr_family(w, name, "counter",
		  "Wire bytes, client side (TLS) and backend side (plaintext).");
	for (unsigned i = 0; i < src->n_workers; i++) {
		const struct tg_wk_stats *s = &src->stats[i];
		const struct { const char *dir; uint64_t v; } d[] = {
			{ "from_client", WK(s, bytes_from_client) },
			{ "to_client", WK(s, bytes_to_client) },
			{ "from_backend", WK(s, bytes_from_backend) },
			{ "to_backend", WK(s, bytes_to_backend) },
		};

		for (size_t k = 0; k < sizeof(d) / sizeof(d[0]); k++)
			wr_printf(w, "%s{worker=\"%u\",dir=\"%s\"} %" PRIu64 "\n",
				  name, i, d[k].dir, d[k].v);
	}
}

/* ---- the DPDK transport's network and TCP counters ----------------------- */

#define NOFF(field) offsetof(struct tg_dpdk_stats, field)

/** One labelled series of a DPDK family: its label value and counter. */
struct net_series {
	const char *lv;   /**< label value, NULL: no label */
	size_t off;       /**< offset in struct tg_dpdk_stats */
};

/** A family of per-worker DPDK counters. */
struct net_family {
	const char *name, *type, *help, *label;
	struct net_series s[10];
};

static const struct net_family net_families[] = {
	{ "tlsgate_net_packets_total", "counter",
	  "Packets taken from and given to the DPDK port.", "dir",
	  { { "rx", NOFF(net.rx_pkts) }, { "tx", NOFF(net.tx_pkts) } } },
	{ "tlsgate_net_bytes_total", "counter",
	  "Bytes of those packets (Ethernet frames).", "dir",
	  { { "rx", NOFF(net.rx_bytes) }, { "tx", NOFF(net.tx_bytes) } } },
	{ "tlsgate_net_dropped_total", "counter",
	  "Packets dropped by the network layer, by reason.", "reason",
	  { { "malformed", NOFF(net.rx_malformed) },
	    { "bad_checksum", NOFF(net.rx_bad_cksum) },
	    { "fragment", NOFF(net.rx_frag) },
	    { "not_ours", NOFF(net.rx_not_ours) },
	    { "unknown_protocol", NOFF(net.rx_unknown) },
	    { "no_mbuf", NOFF(net.no_mbuf) },
	    { "tx_full", NOFF(net.tx_drop) },
	    { "unresolved", NOFF(net.arp_unresolved) },
	    { "no_route", NOFF(net.no_route) },
	    { "dispatch_full", NOFF(net.disp_drop) } } },
	{ "tlsgate_net_dispatched_total", "counter",
	  "Packets handed to the worker that owns their flow (software dispatch).",
	  "dir", { { "out", NOFF(net.disp_out) }, { "in", NOFF(net.disp_in) } } },
	{ "tlsgate_net_neighbour_total", "counter",
	  "ARP and NDP packets handled and sent.", "what",
	  { { "arp_rx", NOFF(net.arp_rx) }, { "arp_tx", NOFF(net.arp_tx) },
	    { "nd_rx", NOFF(net.nd_rx) }, { "nd_tx", NOFF(net.nd_tx) } } },
	{ "tlsgate_net_icmp_total", "counter", "ICMP handled.", "what",
	  { { "echo", NOFF(net.icmp_echo_rx) }, { "error", NOFF(net.icmp_err_rx) } } },
	{ "tlsgate_net_impaired_total", "counter",
	  "Packets the impairment layer (dpdk.impair, a debug option) dropped, duplicated, reordered or corrupted.",
	  "what",
	  { { "rx_drop", NOFF(net.imp_drop[0]) }, { "tx_drop", NOFF(net.imp_drop[1]) },
	    { "rx_dup", NOFF(net.imp_dup[0]) }, { "tx_dup", NOFF(net.imp_dup[1]) },
	    { "rx_reorder", NOFF(net.imp_reorder[0]) },
	    { "tx_reorder", NOFF(net.imp_reorder[1]) },
	    { "rx_corrupt", NOFF(net.imp_corrupt[0]) },
	    { "tx_corrupt", NOFF(net.imp_corrupt[1]) } } },
	{ "tlsgate_net_mbufs_free", "gauge",
	  "Free packet buffers in the worker's pool.", NULL,
	  { { NULL, NOFF(pool_avail) } } },
	{ "tlsgate_net_mbufs", "gauge", "Packet buffers in the worker's pool.", NULL,
	  { { NULL, NOFF(pool_size) } } },
	{ "tlsgate_tcp_connections", "gauge",
	  "TCP connections of the worker (client and backend sides).", "state",
	  { { "open", NOFF(tcp.active) }, { "time_wait", NOFF(tcp.time_wait) } } },
	{ "tlsgate_tcp_opens_total", "counter",
	  "TCP opens: passive (accepted), active (to backends and probes), active ones that failed.",
	  "kind",
	  { { "passive", NOFF(tcp.accepted) }, { "active", NOFF(tcp.connected) },
	    { "failed", NOFF(tcp.connect_failed) } } },
	{ "tlsgate_tcp_segments_total", "counter", "TCP segments.", "dir",
	  { { "in", NOFF(tcp.segs_in) }, { "out", NOFF(tcp.segs_out) } } },
	{ "tlsgate_tcp_tso_total", "counter",
	  "TCP frames sent for the port to cut into segments (TSO), and the segments they carried.",
	  "what", { { "frames", NOFF(tcp.tso_frames) }, { "segments", NOFF(tcp.tso_segs) } } },
	{ "tlsgate_tcp_payload_bytes_total", "counter",
	  "TCP payload bytes delivered in order (in) and sent, retransmissions too (out).",
	  "dir", { { "in", NOFF(tcp.bytes_in) }, { "out", NOFF(tcp.bytes_out) } } },
	{ "tlsgate_tcp_zero_copy_bytes_total", "counter",
	  "TCP payload bytes that went without a copy: committed from reservations, taken out of receive queues as mbuf chains, appended to send streams as chains.",
	  "what",
	  { { "reserved", NOFF(tcp.resv_bytes) }, { "chain_in", NOFF(tcp.chain_bytes_in) },
	    { "chain_out", NOFF(tcp.chain_bytes_out) } } },
	{ "tlsgate_tcp_retransmits_total", "counter",
	  "TCP segments sent again, and what started the retransmissions.", "kind",
	  { { "segments", NOFF(tcp.retransmits) }, { "timeout", NOFF(tcp.rto) },
	    { "fast", NOFF(tcp.fast_retransmits) } } },
	{ "tlsgate_tcp_loss_recovery_total", "counter",
	  "TCP loss recovery: tail loss probes sent and those that repaired a loss, segments RACK marked lost, D-SACKs received and sent, congestion responses undone (every retransmission D-SACKed).",
	  "what",
	  { { "tlp", NOFF(tcp.tlp) }, { "tlp_recovered", NOFF(tcp.tlp_recovered) },
	    { "rack_lost", NOFF(tcp.rack_lost) }, { "dsack_in", NOFF(tcp.dsack_in) },
	    { "dsack_out", NOFF(tcp.dsack_out) }, { "undo", NOFF(tcp.dsack_undo) } } },
	{ "tlsgate_tcp_resets_total", "counter",
	  "TCP connections reset by the peer (in) and by us (out), and RSTs for segments of no connection.",
	  "dir",
	  { { "in", NOFF(tcp.rst_in) }, { "out", NOFF(tcp.rst_out) },
	    { "no_connection", NOFF(tcp.no_conn_rst) } } },
	{ "tlsgate_tcp_syncookies_total", "counter",
	  "SYN cookies sent (a listener's backlog full), connections made from one, bad ones.",
	  "what",
	  { { "sent", NOFF(tcp.syncookies_sent) }, { "ok", NOFF(tcp.syncookies_ok) },
	    { "failed", NOFF(tcp.syncookies_failed) } } },
	{ "tlsgate_tcp_dropped_total", "counter",
	  "TCP segments dropped, by reason.", "reason",
	  { { "malformed", NOFF(tcp.malformed) }, { "bad_seq", NOFF(tcp.bad_seq) },
	    { "paws", NOFF(tcp.paws_drop) }, { "syn", NOFF(tcp.syn_drop) },
	    { "out_of_order_cap", NOFF(tcp.ooo_drop) }, { "no_mbuf", NOFF(tcp.no_mbuf) } } },
	{ "tlsgate_tcp_timeouts_total", "counter",
	  "TCP connections given up (retransmissions or keep-alive unanswered).", NULL,
	  { { NULL, NOFF(tcp.timeouts) } } },
	{ "tlsgate_backend_health_probes_total", "counter",
	  "Backend health probes started through the DPDK port.", NULL,
	  { { NULL, NOFF(health_probes) } } },
	/* dpdk.backend_transport = kernel (zero otherwise) */
	{ "tlsgate_kback_connects_total", "counter",
	  "Kernel backend connects of the worker's helper thread: made, failed.",
	  "result",
	  { { "ok", NOFF(kb.connects) }, { "failed", NOFF(kb.connect_failed) } } },
	{ "tlsgate_kback_connections", "gauge",
	  "Kernel backend connections of the worker (until the helper closed them).",
	  NULL, { { NULL, NOFF(kb.conns) } } },
	{ "tlsgate_kback_ring_bytes", "gauge",
	  "Bytes in the kernel backends' rings: to the backends (the worker's, not sent yet), from them (not read yet).",
	  "dir",
	  { { "to_backend", NOFF(kb.tx_bytes) }, { "from_backend", NOFF(kb.rx_bytes) } } },
	{ "tlsgate_kback_ring_size_bytes", "gauge",
	  "Bytes of each ring of a kernel backend connection (one each way).", NULL,
	  { { NULL, NOFF(kb.ring_bytes) } } },
	{ "tlsgate_kback_queue", "gauge",
	  "Connections queued between the worker and its helper thread, each way.",
	  "dir",
	  { { "to_helper", NOFF(kb.q_ops) }, { "to_worker", NOFF(kb.q_events) } } },
};

static void wr_net(struct tg_wr *w, const struct tg_admin_src *src)
{
	if (src->net == NULL)
		return;
	for (size_t f = 0; f < sizeof(net_families) / sizeof(net_families[0]); f++) {
		const struct net_family *fam = &net_families[f];

		wr_family(w, fam->name, fam->type, fam->help);
		for (unsigned i = 0; i < src->n_workers; i++) {
			const char *base = (const char *)&src->net[i];

			for (size_t k = 0; k < sizeof(fam->s) / sizeof(fam->s[0]); k++) {
				const struct net_series *x = &fam->s[k];
				uint64_t v;

				if (k > 0 && x->lv == NULL)
					break;
				v = wk_load((const uint64_t *)(const void *)(base + x->off));
				if (x->lv != NULL)
					wr_printf(w, "%s{worker=\"%u\",%s=\"%s\"} %" PRIu64 "\n",
						  fam->name, i, fam->label, x->lv, v);
				else
					wr_printf(w, "%s{worker=\"%u\"} %" PRIu64 "\n",
						  fam->name, i, v);
			}
		}
	}
}

/** One backend series: name{pool="..",backend=".."} value. */
static void wr_be_series(struct tg_wr *w, const char *name,
			 const struct tg_backend_pool *p,
			 const struct tg_backend *be, uint64_t v)
{
	char a[300];

	addr_str(&be->addr, a, sizeof(a));
	wr_printf(w, "%s{pool=\"", name);
	wr_label(w, p->name);
	wr_printf(w, "\",backend=\"");
	wr_label(w, a);
	wr_printf(w, "\"} %" PRIu64 "\n", v);
}

static void wr_backends(struct tg_wr *w, struct tg_backends *b)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "tlsgate_backend_up", "gauge",
		  "1 when the last health check of the backend passed." },
		{ "tlsgate_backend_connections", "gauge",
		  "Connections open to the backend now." },
		{ "tlsgate_backend_connect_failures_total", "counter",
		  "Failed connects to the backend." },
	};

	for (unsigned f = 0; f < 3; f++) {
		wr_family(w, fam[f].name, fam[f].type, fam[f].help);
		for (unsigned p = 0; b != NULL && p < b->n_pools; p++) {
			const struct tg_backend_pool *bp = &b->pools[p];

			for (unsigned i = 0; i < bp->n; i++) {
				const struct tg_backend *be = &bp->be[i];
				uint64_t v;

				if (f == 0)
					v = atomic_load_explicit(&be->up, memory_order_relaxed);
				else if (f == 1)
					v = atomic_load_explicit(&be->conns, memory_order_relaxed);
				else
					v = atomic_load_explicit(&be->failures, memory_order_relaxed);
				wr_be_series(w, fam[f].name, bp, be, v);
			}
		}
	}
}

#define OFF(field) offsetof(struct tg_wk_stats, field)

tg_result tg_admin_render(const struct tg_admin_src *src, char *buf, size_t cap,
			  size_t *len)
{
	struct tg_wr w = { .buf = buf, .cap = cap, .len = 0 };
	struct tg_backends *be = NULL;

	TG_ENSURE(src != NULL && buf != NULL && cap > 0 && len != NULL,
		  TG_E_INVAL);
	TG_ENSURE(src->n_workers == 0 || src->stats != NULL, TG_E_INVAL);
	buf[0] = '\0';

	wr_per_worker(&w, src, "tlsgate_connections_accepted_total", "counter",
		      "Client connections accepted.", OFF(conns_accepted));
	wr_per_worker(&w, src, "tlsgate_connections_active", "gauge",
		      "Client connections open now.", OFF(conns_active));
	wr_per_worker(&w, src, "tlsgate_connections_closed_total", "counter",
		      "Client connections closed after being accepted "
		      "(accepted = closed + active).", OFF(conns_closed));
	wr_per_worker(&w, src, "tlsgate_connections_refused_total", "counter",
		      "Client connections closed at once (limits, queue full).",
		      OFF(conns_refused));

	wr_per_worker_by(&w, src, "tlsgate_handshakes_total", "counter",
			 "Handshakes completed, full or resumed (abbreviated).",
			 "kind", "full", OFF(hs_full), "resumed", OFF(hs_resumed));
	wr_alerts(&w, src);
	wr_per_worker(&w, src, "tlsgate_handshake_timeouts_total", "counter",
		      "Handshakes closed by the handshake timeout.",
		      OFF(hs_timeouts));
	wr_per_worker(&w, src, "tlsgate_memory_trims_total", "counter",
		      "Free memory given back to the system after a burst of "
		      "connections ended.", OFF(mem_trims));
	wr_per_worker(&w, src, "tlsgate_idle_timeouts_total", "counter",
		      "Connections closed by the idle timeout.",
		      OFF(idle_timeouts));

	wr_records(&w, src, "tlsgate_records_total",
		   "TLS records sealed and opened, by accel backend.", false);
	wr_records(&w, src, "tlsgate_record_bytes_total",
		   "Plaintext bytes of the records sealed and opened, by accel backend.",
		   true);
	wr_per_worker(&w, src, "tlsgate_record_errors_total", "counter",
		      "Records that failed to open.", OFF(record_errors));
	wr_per_worker_by(&w, src, "tlsgate_key_updates_total", "counter",
			 "TLS 1.3 KeyUpdates (RFC 8446 4.6.3): from clients, and ours.",
			 "dir", "received", OFF(key_updates_received), "sent",
			 OFF(key_updates_sent));
	wr_burst(&w, src);
	wr_per_worker(&w, src, "tlsgate_accel_inflight", "gauge",
		      "Records a worker has in its accel queue (a crypto PMD runs them asynchronously), as of its last round.",
		      OFF(accel_inflight));
	wr_per_worker(&w, src, "tlsgate_accel_queue_full_total", "counter",
		      "Record passes that found the worker's accel queue full and left flows for the next one.",
		      OFF(accel_queue_full));

	wr_per_worker_by(&w, src, "tlsgate_ring_occupancy", "gauge",
			 "Entries in a worker's rings with the control plane, as of its last round.",
			 "ring", "to_control", OFF(ring_to_ctl), "from_control",
			 OFF(ring_from_ctl));
	wr_per_worker(&w, src, "tlsgate_handshake_ring_full_total", "counter",
		      "Connections refused because the handshake ring was full.",
		      OFF(ring_full));
	if (src->ctl != NULL) {
		wr_family(&w, "tlsgate_handshakes_inflight", "gauge",
			  "Handshakes in progress on the control thread.");
		wr_printf(&w, "tlsgate_handshakes_inflight %u\n",
			  tg_ctl_inflight(src->ctl));
	}

	if (src->acc != NULL) {
		unsigned n = tg_accel_backend_count(src->acc);

		wr_family(&w, "tlsgate_accel_records_failed_total", "counter",
			  "Records the accel backend failed to seal or open.");
		for (unsigned b = 0; b < n; b++) {
			struct tg_accel_stats st;

			tg_accel_backend_stats(src->acc, b, &st);
			wr_printf(&w, "tlsgate_accel_records_failed_total{backend=\"");
			wr_accel_name(&w, src, b);
			wr_printf(&w, "\"} %" PRIu64 "\n", st.failed);
		}
	}

	if (src->backends != NULL)
		be = tg_backends_cur_get(src->backends);
	wr_backends(&w, be);
	tg_backends_unref(be);
	wr_per_worker(&w, src, "tlsgate_backend_connect_errors_total", "counter",
		      "Backend connects that failed, seen by the worker.",
		      OFF(backend_connect_errors));
	wr_per_worker(&w, src, "tlsgate_backend_closed_early_total", "counter",
		      "Backend connections closed before the client's.",
		      OFF(backend_closed_early));
	wr_bytes(&w, src);
	wr_net(&w, src);

	if (src->start.tv_sec != 0 || src->start.tv_nsec != 0) {
		struct timespec now;
		double up;

		clock_gettime(CLOCK_MONOTONIC, &now);
		up = (double)(now.tv_sec - src->start.tv_sec) +
		     (double)(now.tv_nsec - src->start.tv_nsec) / 1e9;
		wr_family(&w, "tlsgate_uptime_seconds", "gauge",
			  "Seconds since tlsgate started.");
		wr_printf(&w, "tlsgate_uptime_seconds %.3f\n", up < 0 ? 0.0 : up);
	}

	*len = w.len;
	if (w.len >= cap) {
		buf[cap - 1] = '\0';
		return tg_error(TG_E_NOSPACE);
	}
	return TG_OK;
}

/* ==== server ================================================================= */

struct tg_admin {
	struct MHD_Daemon *d;
	struct tg_admin_src src;
	_Atomic size_t hint; /**< buffer size the last body fitted in */
	uint16_t port;
};

static const char tg_admin_index[] =
	"<html><head><title>tlsgate</title></head><body>\n"
	"<h1>tlsgate admin</h1>\n"
	"<p><a href=\"/metrics\">/metrics</a>: counters in the Prometheus "
	"text format</p>\n"
	"</body></html>\n";

static const char tg_admin_404[] = "not found; try /metrics\n";
static const char tg_admin_405[] = "method not allowed; use GET\n";
static const char tg_admin_500[] = "cannot render the metrics\n";

static void tg_admin_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	TG_WARN("admin: %s", msg);
}

/** Queue a response; @p body is freed by MHD when @p must_free. */
static enum MHD_Result tg_admin_reply(struct MHD_Connection *c,
				      unsigned status, const char *ctype,
				      const char *body, size_t len,
				      bool must_free, bool allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    must_free ? MHD_RESPMEM_MUST_FREE
						      : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (must_free)
			free((void *)body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) !=
		    MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				    "no-store") != MHD_YES ||
	    (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
					      "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/** Render into a buffer that grows (bounded by TG_ADMIN_MAX_BODY). */
static char *tg_admin_body(struct tg_admin *a, size_t *len)
{
	size_t cap = atomic_load(&a->hint);

	if (cap < 16384)
		cap = 16384;
	for (int tries = 0; tries < 4; tries++) {
		char *buf = malloc(cap);
		tg_result r;

		if (buf == NULL)
			return NULL;
		r = tg_admin_render(&a->src, buf, cap, len);
		if (tg_ok(r)) {
			atomic_store(&a->hint, cap);
			return buf;
		}
		free(buf);
		if (r.code != TG_E_NOSPACE)
			return NULL;
		cap = *len + *len / 8 + 1024;
		if (cap > TG_ADMIN_MAX_BODY) {
			TG_ERR("admin: /metrics needs %zu bytes, over the %u limit",
			       *len, TG_ADMIN_MAX_BODY);
			return NULL;
		}
	}
	return NULL;
}

static enum MHD_Result tg_admin_handle(void *cls, struct MHD_Connection *c,
				       const char *url, const char *method,
				       const char *version,
				       const char *upload_data,
				       size_t *upload_data_size, void **con_cls)
{
	struct tg_admin *a = cls;
	static const char *const plain = "text/plain; charset=utf-8";

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return tg_admin_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain,
				      tg_admin_405, sizeof(tg_admin_405) - 1,
				      false, true);
	if (strcmp(url, "/metrics") == 0) {
		size_t len = 0;
		char *body = tg_admin_body(a, &len);

		if (body == NULL)
			return tg_admin_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					      plain, tg_admin_500,
					      sizeof(tg_admin_500) - 1, false,
					      false);
		return tg_admin_reply(c, MHD_HTTP_OK,
				      "text/plain; version=0.0.4; charset=utf-8",
				      body, len, true, false);
	}
	if (strcmp(url, "/") == 0)
		return tg_admin_reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
				      tg_admin_index, sizeof(tg_admin_index) - 1,
				      false, false);
	return tg_admin_reply(c, MHD_HTTP_NOT_FOUND, plain, tg_admin_404,
			      sizeof(tg_admin_404) - 1, false, false);
}

tg_result tg_admin_start(const struct tg_addr *addr,
			 const struct tg_admin_src *src, struct tg_admin **out)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			 MHD_USE_ERROR_LOG;
	const struct sockaddr *sa;
	const union MHD_DaemonInfo *info;
	struct tg_admin *a;
	char where[300];
	uint16_t port;

	TG_ENSURE(addr != NULL && src != NULL && out != NULL, TG_E_INVAL);
	TG_ENSURE(src->n_workers == 0 || src->stats != NULL, TG_E_INVAL);
	sa = (const struct sockaddr *)&addr->sa;
	if (sa->sa_family == AF_INET && addr->salen >= sizeof(struct sockaddr_in)) {
		port = ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
		   addr->salen >= sizeof(struct sockaddr_in6)) {
		port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
		flags |= MHD_USE_IPv6;
	} else {
		return tg_error(TG_E_INVAL);
	}
	a = calloc(1, sizeof(*a));
	TG_ENSURE(a != NULL, TG_E_NOMEM);
	a->src = *src;
	atomic_init(&a->hint, 16384);
	addr_str(addr, where, sizeof(where));
	a->d = MHD_start_daemon(flags, port, NULL, NULL, tg_admin_handle, a,
				MHD_OPTION_EXTERNAL_LOGGER, tg_admin_mhd_log, a,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_END);
	if (a->d == NULL) {
		TG_ERR("admin: cannot listen on %s", where);
		free(a);
		return tg_error(TG_E_IO);
	}
	info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info != NULL && info->port != 0 ? info->port : port;
	TG_INFO("admin: /metrics on %s (port %u)", where, a->port);
	*out = a;
	return TG_OK;
}

uint16_t tg_admin_port(const struct tg_admin *adm)
{
	return adm != NULL ? adm->port : 0;
}

void tg_admin_stop(struct tg_admin *adm)
{
	if (adm == NULL)
		return;
	MHD_stop_daemon(adm->d);
	free(adm);
}

/* ==== `tlsgate stats` ======================================================== */

#define TG_CLI_CONNECT_MS 3000
#define TG_CLI_IO_MS 10000

/** Connect with a timeout; returns the socket (non-blocking) or -1 and
 *  sets *err. */
static int cli_connect(const struct tg_addr *addr, int *err)
{
	const struct sockaddr *sa = (const struct sockaddr *)&addr->sa;
	struct pollfd pfd;
	socklen_t elen = sizeof(*err);
	int fd;

	*err = EINVAL;
	if (addr->salen == 0 ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return -1;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, sa, addr->salen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return -1;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&pfd, 1, TG_CLI_CONNECT_MS) != 1) {
		*err = ETIMEDOUT;
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &elen) != 0 || *err != 0) {
		if (*err == 0)
			*err = errno;
		close(fd);
		return -1;
	}
	return fd;
}

/** Send all of @p p; false on error or timeout. */
static bool cli_send(int fd, const char *p, size_t n)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t k;

		if (poll(&pfd, 1, TG_CLI_IO_MS) != 1)
			return false;
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/** Read until the peer closes; returns a NUL-terminated buffer or NULL. */
static char *cli_recv(int fd, size_t *len)
{
	size_t cap = 65536, n = 0, max = TG_ADMIN_MAX_BODY + 65536;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (n + 1 >= cap) {
			char *nb;

			if (cap >= max)
				break;
			cap = cap * 2 < max ? cap * 2 : max;
			nb = realloc(buf, cap);
			if (nb == NULL)
				break;
			buf = nb;
		}
		if (poll(&pfd, 1, TG_CLI_IO_MS) != 1)
			break;
		k = recv(fd, buf + n, cap - n - 1, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			free(buf);
			return NULL;
		}
		if (k == 0) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += (size_t)k;
	}
	free(buf);
	return NULL;
}

/* One parsed sample. */
#define TG_CLI_MAX_LABELS 8
struct cli_sample {
	char name[128];
	unsigned n;
	struct {
		char k[32];
		char v[256];
	} lab[TG_CLI_MAX_LABELS];
	double value;
};

static const char *cli_label(const struct cli_sample *s, const char *k)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->lab[i].k, k) == 0)
			return s->lab[i].v;
	return NULL;
}

/** Parse `name{k="v",...} value [timestamp]`; false when malformed. */
static bool cli_parse(const char *p, struct cli_sample *s)
{
	size_t i = 0;
	char *end;

	s->n = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p != '\0' && *p != '{' && *p != ' ' && *p != '\t') {
		if (i + 1 >= sizeof(s->name))
			return false;
		s->name[i++] = *p++;
	}
	s->name[i] = '\0';
	if (i == 0)
		return false;
	if (*p == '{') {
		p++;
		for (;;) {
			size_t kl = 0, vl = 0;

			while (*p == ' ' || *p == ',')
				p++;
			if (*p == '}') {
				p++;
				break;
			}
			if (s->n >= TG_CLI_MAX_LABELS)
				return false;
			while (*p != '\0' && *p != '=' && kl + 1 < sizeof(s->lab[0].k))
				s->lab[s->n].k[kl++] = *p++;
			s->lab[s->n].k[kl] = '\0';
			if (p[0] != '=' || p[1] != '"')
				return false;
			p += 2;
			while (*p != '"') {
				char c = *p++;

				if (c == '\0')
					return false;
				if (c == '\\') {
					c = *p++;
					if (c == '\0')
						return false;
					if (c == 'n')
						c = '\n';
				}
				if (vl + 1 < sizeof(s->lab[0].v))
					s->lab[s->n].v[vl++] = c;
			}
			p++;
			s->lab[s->n].v[vl] = '\0';
			s->n++;
		}
	}
	errno = 0;
	s->value = strtod(p, &end);
	return end != p && errno == 0;
}

/* What the table shows. */
/* A worker's figures: the counters are doubles, and nothing but them
 * follows 'seen' (cli_row_add() adds them as an array). */
struct cli_row {
	bool seen;
	double acc, active, full, resumed, failed, sealed, opened, in, out;
	/* the DPDK transport's */
	double rx, tx, tcp_open, rtx, net_drop, tcp_drop, mfree, mbufs, tso, undo;
	/* kernel backends (dpdk.backend_transport = kernel) */
	double kb_ok, kb_failed, kb_conns, kb_to, kb_from;
};

#define CLI_ROW_FIRST offsetof(struct cli_row, acc)
#define CLI_ROW_N ((sizeof(struct cli_row) - CLI_ROW_FIRST) / sizeof(double))
_Static_assert(offsetof(struct cli_row, kb_from) - CLI_ROW_FIRST == 23 * sizeof(double) &&
	       sizeof(struct cli_row) == offsetof(struct cli_row, kb_from) + sizeof(double),
	       "struct cli_row: the 24 doubles acc .. kb_from, nothing else, after seen");

/* Add every counter of @p r to @p tot. */
static void cli_row_add(struct cli_row *tot, const struct cli_row *r)
{
	double *d = (double *)((char *)tot + CLI_ROW_FIRST);
	const double *s = (const double *)((const char *)r + CLI_ROW_FIRST);

	for (size_t i = 0; i < CLI_ROW_N; i++)
		d[i] += s[i];
}

struct cli_be {
	char pool[64];
	char addr[256];
	double up, conns, failures;
};

struct cli_alert {
	char name[64];
	double n;
};

struct cli_table {
	struct cli_row *rows;
	unsigned n_rows;
	struct cli_be *be;
	unsigned n_be, cap_be;
	struct cli_alert *al;
	unsigned n_al, cap_al;
	double uptime, inflight;
	bool has_uptime, has_inflight;
	bool has_net;           /**< the DPDK transport's counters came */
	bool has_kb;            /**< with kernel backends (a ring size) */
};

static void cli_table_free(struct cli_table *t)
{
	free(t->rows);
	free(t->be);
	free(t->al);
}

static struct cli_row *cli_row(struct cli_table *t, const struct cli_sample *s)
{
	const char *w = cli_label(s, "worker");
	unsigned long id;
	char *end;

	if (w == NULL || w[0] < '0' || w[0] > '9')
		return NULL;
	id = strtoul(w, &end, 10);
	if (*end != '\0' || id >= 65536)
		return NULL;
	if (id >= t->n_rows) {
		struct cli_row *r = realloc(t->rows, (id + 1) * sizeof(*r));

		if (r == NULL)
			return NULL;
		memset(r + t->n_rows, 0, (id + 1 - t->n_rows) * sizeof(*r));
		t->rows = r;
		t->n_rows = (unsigned)id + 1;
	}
	t->rows[id].seen = true;
	return &t->rows[id];
}

static struct cli_be *cli_be(struct cli_table *t, const struct cli_sample *s)
{
	const char *pool = cli_label(s, "pool"), *addr = cli_label(s, "backend");

	if (pool == NULL || addr == NULL)
		return NULL;
	for (unsigned i = 0; i < t->n_be; i++)
		if (strcmp(t->be[i].pool, pool) == 0 &&
		    strcmp(t->be[i].addr, addr) == 0)
			return &t->be[i];
	if (t->n_be == t->cap_be) {
		unsigned nc = t->cap_be ? t->cap_be * 2 : 16;
		struct cli_be *nb = realloc(t->be, nc * sizeof(*nb));

		if (nb == NULL)
			return NULL;
		t->be = nb;
		t->cap_be = nc;
	}
	memset(&t->be[t->n_be], 0, sizeof(t->be[0]));
	snprintf(t->be[t->n_be].pool, sizeof(t->be[0].pool), "%s", pool);
	snprintf(t->be[t->n_be].addr, sizeof(t->be[0].addr), "%s", addr);
	return &t->be[t->n_be++];
}

static void cli_alert(struct cli_table *t, const char *name, double v)
{
	for (unsigned i = 0; i < t->n_al; i++) {
		if (strcmp(t->al[i].name, name) == 0) {
			t->al[i].n += v;
			return;
		}
	}
	if (t->n_al == t->cap_al) {
		unsigned nc = t->cap_al ? t->cap_al * 2 : 16;
		struct cli_alert *na = realloc(t->al, nc * sizeof(*na));

		if (na == NULL)
			return;
		t->al = na;
		t->cap_al = nc;
	}
	snprintf(t->al[t->n_al].name, sizeof(t->al[0].name), "%s", name);
	t->al[t->n_al++].n = v;
}

/* The table's counters: a sample of metric @p name (with label @p key
 * equal to @p val, when @p key is set) adds to the row's double at @p off */
struct cli_sum {
	const char *name, *key, *val;
	size_t off;
};

#define CLI_SUM(name, key, val, field) { name, key, val, offsetof(struct cli_row, field) }
static const struct cli_sum cli_sums[] = {
	CLI_SUM("tlsgate_connections_accepted_total", NULL, NULL, acc),
	CLI_SUM("tlsgate_connections_active", NULL, NULL, active),
	CLI_SUM("tlsgate_handshakes_total", "kind", "full", full),
	CLI_SUM("tlsgate_handshakes_total", "kind", "resumed", resumed),
	CLI_SUM("tlsgate_handshakes_failed_total", NULL, NULL, failed),
	CLI_SUM("tlsgate_records_total", "dir", "sealed", sealed),
	CLI_SUM("tlsgate_records_total", "dir", "opened", opened),
	CLI_SUM("tlsgate_bytes_total", "dir", "from_client", in),
	CLI_SUM("tlsgate_bytes_total", "dir", "to_client", out),
	CLI_SUM("tlsgate_net_packets_total", "dir", "rx", rx),
	CLI_SUM("tlsgate_net_packets_total", "dir", "tx", tx),
	CLI_SUM("tlsgate_tcp_connections", "state", "open", tcp_open),
	CLI_SUM("tlsgate_tcp_retransmits_total", "kind", "segments", rtx),
	CLI_SUM("tlsgate_net_dropped_total", NULL, NULL, net_drop),
	CLI_SUM("tlsgate_tcp_dropped_total", NULL, NULL, tcp_drop),
	CLI_SUM("tlsgate_net_mbufs_free", NULL, NULL, mfree),
	CLI_SUM("tlsgate_net_mbufs", NULL, NULL, mbufs),
	CLI_SUM("tlsgate_tcp_tso_total", "what", "frames", tso),
	CLI_SUM("tlsgate_tcp_loss_recovery_total", "what", "undo", undo),
	CLI_SUM("tlsgate_kback_connects_total", "result", "ok", kb_ok),
	CLI_SUM("tlsgate_kback_connects_total", "result", "failed", kb_failed),
	CLI_SUM("tlsgate_kback_connections", NULL, NULL, kb_conns),
	CLI_SUM("tlsgate_kback_ring_bytes", "dir", "to_backend", kb_to),
	CLI_SUM("tlsgate_kback_ring_bytes", "dir", "from_backend", kb_from),
};
#undef CLI_SUM

/** Fold one sample into the table. */
static void cli_add(struct cli_table *t, const struct cli_sample *s)
{
	const char *n = s->name, *l;
	struct cli_row *r;
	struct cli_be *b;

	if (strcmp(n, "tlsgate_uptime_seconds") == 0) {
		t->uptime = s->value;
		t->has_uptime = true;
		return;
	}
	if (strcmp(n, "tlsgate_handshakes_inflight") == 0) {
		t->inflight = s->value;
		t->has_inflight = true;
		return;
	}
	if (strncmp(n, "tlsgate_backend_", 16) == 0 &&
	    cli_label(s, "pool") != NULL) {
		b = cli_be(t, s);
		if (b == NULL)
			return;
		if (strcmp(n, "tlsgate_backend_up") == 0)
			b->up = s->value;
		else if (strcmp(n, "tlsgate_backend_connections") == 0)
			b->conns = s->value;
		else if (strcmp(n, "tlsgate_backend_connect_failures_total") == 0)
			b->failures = s->value;
		return;
	}
	r = cli_row(t, s);
	if (r == NULL)
		return;
	if (strcmp(n, "tlsgate_handshakes_failed_total") == 0) {
		l = cli_label(s, "alert");
		cli_alert(t, l != NULL ? l : "?", s->value);
	} else if (strcmp(n, "tlsgate_net_packets_total") == 0) {
		t->has_net = true;
	} else if (strcmp(n, "tlsgate_kback_ring_size_bytes") == 0) {
		t->has_kb = t->has_kb || s->value > 0;
		return;
	}
	for (size_t i = 0; i < sizeof(cli_sums) / sizeof(cli_sums[0]); i++) {
		const struct cli_sum *c = &cli_sums[i];

		if (strcmp(n, c->name) != 0)
			continue;
		l = c->key != NULL ? cli_label(s, c->key) : NULL;
		if (c->key == NULL || (l != NULL && strcmp(l, c->val) == 0))
			*(double *)((char *)r + c->off) += s->value;
	}
}

static void cli_print_kb_row(FILE *out, const char *label, const struct cli_row *r)
{
	fprintf(out, "%-7s %12.0f %12.0f %9.0f %14.0f %14.0f\n", label, r->kb_ok,
		r->kb_failed, r->kb_conns, r->kb_to, r->kb_from);
}

static void cli_print_net_row(FILE *out, const char *label, const struct cli_row *r)
{
	char m[48];

	/* the last three columns: free/all as one word, TSO frames, then
	 * congestion responses undone (D-SACKs) */
	snprintf(m, sizeof(m), "%.0f/%.0f", r->mfree, r->mbufs);
	fprintf(out, "%-7s %12.0f %12.0f %9.0f %11.0f %10.0f %10.0f %15s %10.0f %6.0f\n",
		label, r->rx, r->tx, r->tcp_open, r->rtx, r->net_drop, r->tcp_drop,
		m, r->tso, r->undo);
}

static void cli_print_row(FILE *out, const char *label, const struct cli_row *r)
{
	fprintf(out,
		"%-7s %11.0f %8.0f %11.0f %11.0f %10.0f %12.0f %12.0f %9.3f %9.3f\n",
		label, r->acc, r->active, r->full, r->resumed, r->failed,
		r->sealed, r->opened, r->in / 1e9, r->out / 1e9);
}

/* Each worker's row that was seen, then their total, by @p print. */
static void cli_print_rows(FILE *out, const struct cli_table *t,
			   void (*print)(FILE *, const char *, const struct cli_row *))
{
	struct cli_row tot = { .seen = true };

	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct cli_row *r = &t->rows[i];
		char id[16];

		if (!r->seen)
			continue;
		snprintf(id, sizeof(id), "%u", i);
		print(out, id, r);
		cli_row_add(&tot, r);
	}
	print(out, "total", &tot);
}

static int cli_alert_cmp(const void *a, const void *b)
{
	const struct cli_alert *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void cli_print(FILE *out, const char *where, struct cli_table *t)
{
	unsigned up = 0, down = 0;

	fprintf(out, "tlsgate at %s", where);
	if (t->has_uptime) {
		unsigned long s = (unsigned long)t->uptime;

		fprintf(out, ", up %lud %02lu:%02lu:%02lu", s / 86400,
			s / 3600 % 24, s / 60 % 60, s % 60);
	}
	if (t->has_inflight)
		fprintf(out, ", %.0f handshakes in flight", t->inflight);
	fprintf(out, "\n\n");

	fprintf(out, "%-7s %11s %8s %11s %11s %10s %12s %12s %9s %9s\n",
		"worker", "accepted", "active", "hs full", "hs resumed",
		"hs failed", "rec sealed", "rec opened", "GB in", "GB out");
	cli_print_rows(out, t, cli_print_row);

	if (t->has_net) {
		fprintf(out, "\nDPDK port:\n%-7s %12s %12s %9s %11s %10s %10s %15s %10s %6s\n",
			"worker", "packets in", "packets out", "tcp open",
			"retransmit", "net drops", "tcp drops", "mbufs free", "tso frames",
			"undo");
		cli_print_rows(out, t, cli_print_net_row);
	}
	if (t->has_kb) {
		fprintf(out, "\nkernel backends:\n%-7s %12s %12s %9s %14s %14s\n",
			"worker", "connects", "failed", "open", "ring to be", "ring from be");
		cli_print_rows(out, t, cli_print_kb_row);
	}

	for (unsigned i = 0; i < t->n_be; i++) {
		if (t->be[i].up != 0)
			up++;
		else
			down++;
	}
	fprintf(out, "\nbackends: %u up, %u down\n", up, down);
	if (t->n_be > 0) {
		fprintf(out, "  %-16s %-32s %-5s %8s %10s\n", "pool", "backend",
			"state", "conns", "failures");
		for (unsigned i = 0; i < t->n_be; i++)
			fprintf(out, "  %-16s %-32s %-5s %8.0f %10.0f\n",
				t->be[i].pool, t->be[i].addr,
				t->be[i].up != 0 ? "up" : "DOWN", t->be[i].conns,
				t->be[i].failures);
	}

	if (t->n_al == 0) {
		fprintf(out, "\nfailed handshakes: none\n");
		return;
	}
	qsort(t->al, t->n_al, sizeof(t->al[0]), cli_alert_cmp);
	fprintf(out, "\nfailed handshakes by alert:\n");
	for (unsigned i = 0; i < t->n_al; i++)
		fprintf(out, "  %-32s %12.0f\n", t->al[i].name, t->al[i].n);
}

int tg_admin_stats_cli(const struct tg_addr *addr, FILE *out)
{
	struct cli_table t = { 0 };
	char where[300], req[512], *resp, *body, *p, *eol;
	size_t len = 0;
	int fd, err, code = 0;

	if (addr == NULL || out == NULL) {
		fprintf(stderr, "tlsgate stats: no admin address\n");
		return 1;
	}
	addr_str(addr, where, sizeof(where));
	fd = cli_connect(addr, &err);
	if (fd < 0) {
		fprintf(stderr,
			"tlsgate stats: cannot connect to %s: is tlsgate running with --admin? (%s)\n",
			where, strerror(err));
		return 1;
	}
	snprintf(req, sizeof(req),
		 "GET /metrics HTTP/1.0\r\nHost: %s\r\nAccept: text/plain\r\n"
		 "User-Agent: tlsgate-stats\r\n\r\n", where);
	if (!cli_send(fd, req, strlen(req))) {
		fprintf(stderr, "tlsgate stats: %s: cannot send the request: %s\n",
			where, strerror(errno));
		close(fd);
		return 1;
	}
	resp = cli_recv(fd, &len);
	close(fd);
	if (resp == NULL) {
		fprintf(stderr, "tlsgate stats: %s: no complete answer (timeout or connection reset)\n",
			where);
		return 1;
	}
	/* Status line, then headers up to the first blank line. */
	body = memmem(resp, len, "\r\n\r\n", 4);
	if (body != NULL) {
		body += 4;
	} else {
		body = memmem(resp, len, "\n\n", 2);
		if (body != NULL)
			body += 2;
	}
	eol = strpbrk(resp, "\r\n");
	if (eol != NULL)
		*eol = '\0';
	if (strncmp(resp, "HTTP/", 5) == 0 && (p = strchr(resp, ' ')) != NULL)
		code = atoi(p + 1);
	if (body == NULL || code != 200) {
		fprintf(stderr, "tlsgate stats: %s does not answer like tlsgate's admin listener: \"%.80s\"\n",
			where, resp);
		free(resp);
		return 1;
	}
	for (p = body; p != NULL && *p != '\0'; p = eol) {
		struct cli_sample s;

		eol = strchr(p, '\n');
		if (eol != NULL)
			*eol++ = '\0';
		if (*p == '#' || *p == '\0' || *p == '\r')
			continue;
		if (cli_parse(p, &s))
			cli_add(&t, &s);
	}
	free(resp);
	if (t.n_rows == 0) {
		fprintf(stderr, "tlsgate stats: %s answered without tlsgate metrics\n",
			where);
		cli_table_free(&t);
		return 1;
	}
	cli_print(out, where, &t);
	cli_table_free(&t);
	return 0;
}
