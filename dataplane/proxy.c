/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file proxy.c
 * PROXY protocol v1 and v2 headers (haproxy.org proxy-protocol.txt §2.1,
 * §2.2, TLVs §2.2.6).
 */
#include "tg_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "tg_cur.h"
#include "tg_suite.h"

#define PP2_TYPE_ALPN 0x01
#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_SSL 0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CIPHER 0x23
#define PP2_CLIENT_SSL 0x01
#define PP2_CLIENT_CERT_CONN 0x02
#define PP2_CLIENT_CERT_SESS 0x04

static const uint8_t pp2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				     0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static TG_MUST_CHECK tg_result tg_pp_v1(const struct sockaddr_storage *src,
			  const struct sockaddr_storage *dst, uint8_t *out,
			  size_t cap, size_t *len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int n;

	if (src->ss_family == AF_INET && dst->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src, *b = (const void *)dst;

		inet_ntop(AF_INET, &a->sin_addr, s, sizeof(s));
		inet_ntop(AF_INET, &b->sin_addr, d, sizeof(d));
		n = snprintf((char *)out, cap, "PROXY TCP4 %s %s %u %u\r\n", s, d,
			     ntohs(a->sin_port), ntohs(b->sin_port));
	} else if (src->ss_family == AF_INET6 && dst->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)src, *b = (const void *)dst;

		inet_ntop(AF_INET6, &a->sin6_addr, s, sizeof(s));
		inet_ntop(AF_INET6, &b->sin6_addr, d, sizeof(d));
		n = snprintf((char *)out, cap, "PROXY TCP6 %s %s %u %u\r\n", s, d,
			     ntohs(a->sin6_port), ntohs(b->sin6_port));
	} else {
		n = snprintf((char *)out, cap, "PROXY UNKNOWN\r\n");
	}
	TG_ENSURE(n > 0 && (size_t)n < cap && n <= 107, TG_E_NOSPACE);
	*len = (size_t)n;
	return TG_OK;
}

static TG_MUST_CHECK tg_result tg_pp_tlv(struct tg_wcur *w, uint8_t type, const void *v,
			   size_t n)
{
	TG_GUARD(tg_wcur_u8(w, type));
	TG_GUARD(tg_wcur_u16(w, (uint16_t)n));
	return tg_wcur_bytes(w, v, n);
}

tg_result tg_proxy_header(int version, const struct sockaddr_storage *src,
			  const struct sockaddr_storage *dst,
			  const struct tg_hs_info *info, uint8_t *out,
			  size_t cap, size_t *len)
{
	struct tg_wcur w = tg_wcur_init(out, cap);
	size_t lmark, smark;

	TG_ENSURE(src != NULL && dst != NULL && info != NULL && len != NULL,
		  TG_E_INVAL);
	if (version == 1)
		return tg_pp_v1(src, dst, out, cap, len);
	TG_ENSURE(version == 2, TG_E_INVAL);
	TG_GUARD(tg_wcur_bytes(&w, pp2_sig, sizeof(pp2_sig)));
	TG_GUARD(tg_wcur_u8(&w, 0x21)); /* version 2, PROXY */
	if (src->ss_family == AF_INET && dst->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src, *b = (const void *)dst;

		TG_GUARD(tg_wcur_u8(&w, 0x11)); /* TCP over IPv4 */
		TG_GUARD(tg_wcur_vec_begin(&w, 2, &lmark));
		TG_GUARD(tg_wcur_bytes(&w, &a->sin_addr, 4));
		TG_GUARD(tg_wcur_bytes(&w, &b->sin_addr, 4));
		TG_GUARD(tg_wcur_bytes(&w, &a->sin_port, 2));
		TG_GUARD(tg_wcur_bytes(&w, &b->sin_port, 2));
	} else if (src->ss_family == AF_INET6 && dst->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)src, *b = (const void *)dst;

		TG_GUARD(tg_wcur_u8(&w, 0x21)); /* TCP over IPv6 */
		TG_GUARD(tg_wcur_vec_begin(&w, 2, &lmark));
		TG_GUARD(tg_wcur_bytes(&w, &a->sin6_addr, 16));
		TG_GUARD(tg_wcur_bytes(&w, &b->sin6_addr, 16));
		TG_GUARD(tg_wcur_bytes(&w, &a->sin6_port, 2));
		TG_GUARD(tg_wcur_bytes(&w, &b->sin6_port, 2));
	} else {
		TG_GUARD(tg_wcur_u8(&w, 0x00)); /* UNSPEC */
		TG_GUARD(tg_wcur_vec_begin(&w, 2, &lmark));
	}
	if (info->alpn[0])
		TG_GUARD(tg_pp_tlv(&w, PP2_TYPE_ALPN, info->alpn, strlen(info->alpn)));
	if (info->sni[0])
		TG_GUARD(tg_pp_tlv(&w, PP2_TYPE_AUTHORITY, info->sni, strlen(info->sni)));
	/* PP2_TYPE_SSL: client flags, verify (0 = verified), sub-TLVs */
	{
		const char *cipher = tg_cs_name(info->suite);
		const char *version = info->version == TG_TLS13 ? "TLSv1.3"
								: "TLSv1.2";
		uint8_t client = PP2_CLIENT_SSL;

		if (info->peer_cert)
			client |= info->resumed ? PP2_CLIENT_CERT_SESS
						: PP2_CLIENT_CERT_CONN;
		TG_GUARD(tg_wcur_u8(&w, PP2_TYPE_SSL));
		TG_GUARD(tg_wcur_vec_begin(&w, 2, &smark));
		TG_GUARD(tg_wcur_u8(&w, client));
		/* verify: zero only for a certificate that was verified */
		TG_GUARD(tg_wcur_be(&w, 4, !(info->peer_cert && info->peer_verified)));
		if (cipher == NULL)
			cipher = "";
		TG_GUARD(tg_pp_tlv(&w, PP2_SUBTYPE_SSL_VERSION, version,
				   strlen(version)));
		TG_GUARD(tg_pp_tlv(&w, PP2_SUBTYPE_SSL_CIPHER, cipher, strlen(cipher)));
		TG_GUARD(tg_wcur_vec_end(&w, 2, smark));
	}
	TG_GUARD(tg_wcur_vec_end(&w, 2, lmark));
	*len = w.pos;
	return TG_OK;
}
