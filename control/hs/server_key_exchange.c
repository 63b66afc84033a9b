/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ServerKeyExchange for ECDHE (RFC 8422 §5.4) with the TLS 1.2 signature
 * (RFC 5246 §7.4.3, §4.7):
 *   struct { ECCurveType curve_type; NamedCurve namedcurve; } ECParameters;
 *   struct { opaque point <1..2^8-1>; } ECPoint;
 *   struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;
 *   struct { ServerECDHParams params; digitally-signed struct {...}
 *            signed_params; } ServerKeyExchange;
 *   digitally-signed = SignatureAndHashAlgorithm + opaque signature<0..2^16-1>
 */
#include "hs_internal.h"

#include <string.h>

#define TG_EC_NAMED_CURVE 3 /* ECCurveType named_curve (RFC 8422 §5.4) */

tg_result tg_hs_server_key_exchange_parse(struct tg_cur *body,
					  struct tg_hs_server_key_exchange *out)
{
	uint8_t curve_type;

	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_cur_u8(body, &curve_type));
	/* explicit_prime(1) and explicit_char2(2) are deprecated (RFC 8422
	 * §5.4) and their layout differs: stop at once. */
	TG_ENSURE(curve_type == TG_EC_NAMED_CURVE, TG_E_ILLEGAL_PARAM);
	TG_GUARD(tg_cur_u16(body, &out->group));
	TG_GUARD(tg_hs_vec_read(body, 1, 1, 255, &out->point));
	TG_GUARD(tg_cur_u16(body, &out->sigalg));
	TG_GUARD(tg_hs_vec_read(body, 2, 0, 0xffff, &out->sig));
	return tg_cur_end(body);
}

static TG_MUST_CHECK tg_result params_write(struct tg_wcur *w,
			      const struct tg_hs_server_key_exchange *in)
{
	TG_GUARD(tg_wcur_u8(w, TG_EC_NAMED_CURVE));
	TG_GUARD(tg_wcur_u16(w, in->group));
	return tg_hs_vec_write(w, 1, 1, 255, &in->point);
}

tg_result tg_hs_server_key_exchange_write(struct tg_wcur *w,
				const struct tg_hs_server_key_exchange *in)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_SERVER_KEY_EXCHANGE, &mark));
	TG_GUARD(params_write(w, in));
	TG_GUARD(tg_wcur_u16(w, in->sigalg));
	TG_GUARD(tg_hs_vec_write(w, 2, 0, 0xffff, &in->sig));
	return tg_hs_hdr_end(w, mark);
}

tg_result tg_hs_ske_signed_data(const uint8_t client_random[TG_TLS_RANDOM_LEN],
				const uint8_t server_random[TG_TLS_RANDOM_LEN],
				const struct tg_hs_server_key_exchange *ske,
				struct tg_wcur *w)
{
	/* RFC 8422 §5.4: digitally-signed struct {
	 *   opaque client_random[32]; opaque server_random[32];
	 *   ServerECDHParams params; } signed_params; */
	TG_ENSURE(client_random != NULL && server_random != NULL &&
		  ske != NULL && w != NULL, TG_E_INVAL);
	TG_GUARD(tg_wcur_bytes(w, client_random, TG_TLS_RANDOM_LEN));
	TG_GUARD(tg_wcur_bytes(w, server_random, TG_TLS_RANDOM_LEN));
	return params_write(w, ske);
}
