/* SPDX-License-Identifier: BSD-3-Clause */
/* dataplane/: PROXY protocol headers, backend routing, selection, health. */
#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tg_backend.h"
#include "tg_proxy.h"
#include "tg_stats.h"
#include "tg_test.h"
#include "tg_tls.h"

static void v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
}

static void test_proxy_v1(void)
{
	struct sockaddr_storage s, d;
	struct sockaddr_in6 *a6;
	struct tg_hs_info info = { 0 };
	uint8_t out[TG_PROXY_MAX];
	size_t len;

	v4(&s, "198.18.0.1", 40000);
	v4(&d, "198.18.0.2", 443);
	TG_ASSERT_OK(tg_proxy_header(1, &s, &d, &info, out, sizeof(out), &len));
	CU_ASSERT_EQUAL(len, strlen("PROXY TCP4 198.18.0.1 198.18.0.2 40000 443\r\n"));
	CU_ASSERT_EQUAL(memcmp(out, "PROXY TCP4 198.18.0.1 198.18.0.2 40000 443\r\n", len), 0);
	memset(&s, 0, sizeof(s));
	memset(&d, 0, sizeof(d));
	a6 = (struct sockaddr_in6 *)&s;
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(1);
	inet_pton(AF_INET6, "2001:db8::1", &a6->sin6_addr);
	a6 = (struct sockaddr_in6 *)&d;
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(2);
	inet_pton(AF_INET6, "2001:db8::2", &a6->sin6_addr);
	TG_ASSERT_OK(tg_proxy_header(1, &s, &d, &info, out, sizeof(out), &len));
	CU_ASSERT_EQUAL(memcmp(out, "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", len), 0);
	TG_ASSERT_ERR(tg_proxy_header(3, &s, &d, &info, out, sizeof(out), &len),
		      TG_E_INVAL);
	TG_ASSERT_ERR(tg_proxy_header(1, &s, &d, &info, out, 10, &len), TG_E_NOSPACE);
}

static void test_proxy_v2(void)
{
	static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
	struct sockaddr_storage s, d;
	struct tg_hs_info info = { .suite = TG_CS_ECDHE_ECDSA_AES_128_GCM_SHA256,
				   .peer_cert = true, .peer_verified = true };
	uint8_t out[TG_PROXY_MAX];
	size_t len, pos;
	bool alpn = false, sni = false, ssl = false;

	strcpy(info.sni, "www.example.com");
	strcpy(info.alpn, "h2");
	v4(&s, "198.18.0.1", 40000);
	v4(&d, "198.18.0.2", 443);
	TG_ASSERT_OK(tg_proxy_header(2, &s, &d, &info, out, sizeof(out), &len));
	CU_ASSERT_EQUAL(memcmp(out, sig, 12), 0);
	CU_ASSERT_EQUAL(out[12], 0x21); /* v2, PROXY */
	CU_ASSERT_EQUAL(out[13], 0x11); /* TCP4 */
	CU_ASSERT_EQUAL((size_t)(out[14] << 8 | out[15]), len - 16);
	CU_ASSERT_EQUAL(memcmp(out + 16, "\xc6\x12\x00\x01\xc6\x12\x00\x02\x9c\x40\x01\xbb", 12), 0);
	/* walk the TLVs */
	for (pos = 28; pos + 3 <= len;) {
		uint8_t t = out[pos];
		size_t l = (size_t)(out[pos + 1] << 8 | out[pos + 2]);

		CU_ASSERT_FATAL(pos + 3 + l <= len);
		if (t == 0x01)
			alpn = l == 2 && memcmp(out + pos + 3, "h2", 2) == 0;
		if (t == 0x02)
			sni = l == 15 && memcmp(out + pos + 3, "www.example.com", 15) == 0;
		if (t == 0x20) {
			const uint8_t *v = out + pos + 3;

			/* client: SSL | CERT_CONN; verify 0 = verified */
			ssl = v[0] == 0x03 && v[1] == 0 && v[2] == 0 && v[3] == 0 &&
			      v[4] == 0 && v[5] == 0x21 && v[8] == 'T' &&
			      memmem(v, l, "ECDHE-ECDSA-AES128-GCM-SHA256", 29) != NULL;
		}
		pos += 3 + l;
	}
	CU_ASSERT_EQUAL(pos, len);
	CU_ASSERT(alpn);
	CU_ASSERT(sni);
	CU_ASSERT(ssl);
	/* no client certificate: verify is non-zero */
	info.peer_cert = info.peer_verified = false;
	TG_ASSERT_OK(tg_proxy_header(2, &s, &d, &info, out, sizeof(out), &len));
	CU_ASSERT_PTR_NOT_NULL(memmem(out, len, "\x20", 1));
}

static void mk_cfg(struct tg_backends_conf *c, unsigned n, enum tg_lb_policy pol)
{
	memset(c, 0, sizeof(*c));
	c->n_pools = 2;
	snprintf(c->pools[0].name, sizeof(c->pools[0].name), "default");
	c->pools[0].policy = pol;
	c->pools[0].n_be = n;
	for (unsigned i = 0; i < n; i++) {
		snprintf(c->pools[0].be[i].text, sizeof(c->pools[0].be[i].text),
			 "127.0.0.1:%u", 1 + i);
		v4(&c->pools[0].be[i].sa, "127.0.0.1", (uint16_t)(1 + i));
		c->pools[0].be[i].salen = sizeof(struct sockaddr_in);
	}
	snprintf(c->pools[1].name, sizeof(c->pools[1].name), "api");
	c->pools[1].n_be = 1;
	v4(&c->pools[1].be[0].sa, "127.0.0.1", 9);
	c->pools[1].be[0].salen = sizeof(struct sockaddr_in);
	c->n_routes = 2;
	snprintf(c->routes[0].sni, sizeof(c->routes[0].sni), "api.example.com");
	c->routes[0].pool = 1;
	snprintf(c->routes[1].sni, sizeof(c->routes[1].sni), "*.api.example.net");
	c->routes[1].pool = 1;
}

static void test_routes_and_pick(void)
{
	static struct tg_backends_conf c;
	struct tg_backends *b;
	unsigned hits[3] = { 0 };

	mk_cfg(&c, 3, TG_LB_ROUND_ROBIN);
	TG_ASSERT_OK(tg_backends_new(&c, &b));
	CU_ASSERT_EQUAL(tg_backends_route(b, "api.example.com"), 1);
	CU_ASSERT_EQUAL(tg_backends_route(b, "API.Example.com"), 1);
	CU_ASSERT_EQUAL(tg_backends_route(b, "x.api.example.net"), 1);
	CU_ASSERT_EQUAL(tg_backends_route(b, "y.x.api.example.net"), 0);
	CU_ASSERT_EQUAL(tg_backends_route(b, "www.example.com"), 0);
	CU_ASSERT_EQUAL(tg_backends_route(b, ""), 0);
	CU_ASSERT_EQUAL(tg_backends_route(b, NULL), 0);
	/* round robin spreads evenly */
	for (int i = 0; i < 300; i++) {
		int k = tg_backends_pick(b, 0, 0);

		CU_ASSERT_FATAL(k >= 0 && k < 3);
		hits[k]++;
	}
	CU_ASSERT(hits[0] == 100 && hits[1] == 100 && hits[2] == 100);
	/* a down backend is skipped while another is up */
	atomic_store(&b->pools[0].be[1].up, false);
	for (int i = 0; i < 30; i++)
		CU_ASSERT_NOT_EQUAL(tg_backends_pick(b, 0, 0), 1);
	/* tried ones are skipped; all tried -> -1 */
	CU_ASSERT_EQUAL(tg_backends_pick(b, 0, 0x1 | 0x4), 1);
	CU_ASSERT_EQUAL(tg_backends_pick(b, 0, 0x7), -1);
	CU_ASSERT_EQUAL(tg_backends_pick(b, 5, 0), -1);
	tg_backends_unref(b);

	mk_cfg(&c, 3, TG_LB_LEAST_CONN);
	TG_ASSERT_OK(tg_backends_new(&c, &b));
	atomic_store(&b->pools[0].be[0].conns, 5);
	atomic_store(&b->pools[0].be[1].conns, 2);
	atomic_store(&b->pools[0].be[2].conns, 9);
	CU_ASSERT_EQUAL(tg_backends_pick(b, 0, 0), 1);
	CU_ASSERT_EQUAL(tg_backends_pick(b, 0, 0x2), 0);
	tg_backends_unref(b);
}

static void test_health(void)
{
	static struct tg_backends_conf c;
	struct tg_backends *b;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	CU_ASSERT_FATAL(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
			listen(lfd, 4) == 0 &&
			getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	mk_cfg(&c, 2, TG_LB_ROUND_ROBIN);
	memcpy(&c.pools[0].be[0].sa, &a, sizeof(a));
	/* be[1]: a port nothing listens on (we just closed it) */
	{
		int t = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in z = { .sin_family = AF_INET };
		socklen_t zl = sizeof(z);

		inet_pton(AF_INET, "127.0.0.1", &z.sin_addr);
		CU_ASSERT_FATAL(bind(t, (struct sockaddr *)&z, sizeof(z)) == 0);
		getsockname(t, (struct sockaddr *)&z, &zl);
		close(t);
		memcpy(&c.pools[0].be[1].sa, &z, sizeof(z));
	}
	c.n_pools = 1;
	c.n_routes = 0;
	TG_ASSERT_OK(tg_backends_new(&c, &b));
	tg_backends_check(b, 500);
	CU_ASSERT_TRUE(atomic_load(&b->pools[0].be[0].up));
	CU_ASSERT_FALSE(atomic_load(&b->pools[0].be[1].up));
	tg_backends_unref(b);
	close(lfd);
}

static void test_burst_buckets(void)
{
	CU_ASSERT_EQUAL(tg_stats_burst_bucket(1), 0);
	CU_ASSERT_EQUAL(tg_stats_burst_bucket(2), 1);
	CU_ASSERT_EQUAL(tg_stats_burst_bucket(3), 1);
	CU_ASSERT_EQUAL(tg_stats_burst_bucket(4), 2);
	CU_ASSERT_EQUAL(tg_stats_burst_bucket(63), 5);
	CU_ASSERT_EQUAL(tg_stats_burst_bucket(64), 6);
	CU_ASSERT_EQUAL(tg_stats_burst_bucket(1000), TG_STATS_BURST_BUCKETS - 1);
}

/* The reload's list swap while readers take references: every reader
 * reference is to a live list (ASan would see one freed under it), the
 * lists are freed by their last holder, no grace sleep. */
struct cur_reader {
	struct tg_backends_cur *cur;
	atomic_bool *stop;
	atomic_ulong gets;
	bool bad;
};

static void *cur_reader_main(void *arg)
{
	struct cur_reader *r = arg;
	struct tg_backends *held = NULL;

	while (!atomic_load(r->stop)) {
		/* a worker's way: compare without a lock, get on change */
		if (held == NULL || !tg_backends_cur_is(r->cur, held)) {
			tg_backends_unref(held);
			held = tg_backends_cur_get(r->cur);
			r->gets++;
		}
		if (held == NULL || held->n_pools != 2 ||
		    tg_backends_route(held, "api.example.com") != 1)
			r->bad = true;
		/* the admin's way: a reference per use */
		{
			struct tg_backends *b = tg_backends_cur_get(r->cur);

			if (b == NULL || atomic_load(&b->refs) < 1)
				r->bad = true;
			tg_backends_unref(b);
		}
	}
	tg_backends_unref(held);
	return NULL;
}

static void test_reload_swap(void)
{
	static struct tg_backends_conf c;
	struct tg_backends_cur cur;
	struct cur_reader rd[3];
	pthread_t th[3];
	atomic_bool stop = false;
	struct tg_backends *b, *last;

	mk_cfg(&c, 3, TG_LB_ROUND_ROBIN);
	TG_ASSERT_OK(tg_backends_new(&c, &b));
	tg_backends_cur_init(&cur, b);
	for (int i = 0; i < 3; i++) {
		rd[i] = (struct cur_reader){ .cur = &cur, .stop = &stop };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, cur_reader_main, &rd[i]), 0);
	}
	/* at least 3000 swaps, and until every reader has seen a few lists
	 * (a loaded machine may start them late); bounded by 10 s */
	for (int i = 0, seen = 0; i < 3000 || (!seen && i < 3000000); i++) {
		TG_ASSERT_OK(tg_backends_new(&c, &b));
		tg_backends_cur_set(&cur, b);
		seen = 1;
		for (int k = 0; k < 3; k++)
			seen &= atomic_load(&rd[k].gets) >= 3;
		if (i % 1000 == 999)
			usleep(1000);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_FALSE(rd[i].bad);
		CU_ASSERT(atomic_load(&rd[i].gets) > 0);
	}
	/* only the holder's reference is left on the last list */
	last = tg_backends_cur_get(&cur);
	CU_ASSERT_EQUAL(atomic_load(&last->refs), 2);
	tg_backends_unref(last);
	tg_backends_cur_fini(&cur);
}

static CU_TestInfo dp_tests[] = {
	{ "PROXY v1", test_proxy_v1 },
	{ "PROXY v2 with TLS TLVs", test_proxy_v2 },
	{ "SNI routes, round robin, least connections", test_routes_and_pick },
	{ "health checks", test_health },
	{ "reload swaps the list under readers", test_reload_swap },
	{ "burst histogram buckets", test_burst_buckets },
	CU_TEST_INFO_NULL,
};

static const struct tg_test_suite suites[] = {
	{ "dataplane", NULL, NULL, dp_tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return tg_test_main(argc, argv, suites);
}
