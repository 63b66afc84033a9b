/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientKeyExchange (RFC 5246 §7.4.7):
 *  - ECDHE: struct { opaque point <1..2^8-1>; } ECPoint (RFC 8422 §5.7,
 *    explicit form: we never ask for a fixed-DH client certificate);
 *  - RSA: opaque EncryptedPreMasterSecret<0..2^16-1> (§7.4.7.1; the
 *    length must fill the message; its value is checked in constant time
 *    by the decrypting side, not here).
 */
#include "hs_internal.h"

#include <string.h>

tg_result tg_hs_client_key_exchange_parse(struct tg_cur *body,
					  enum tg_hs_kx kx,
					  struct tg_hs_client_key_exchange *out)
{
	TG_ENSURE_REF(body);
	TG_ENSURE_REF(out);
	memset(out, 0, sizeof(*out));
	switch (kx) {
	case TG_HS_KX_ECDHE:
		TG_GUARD(tg_hs_vec_read(body, 1, 1, 255, &out->data));
		break;
	case TG_HS_KX_RSA:
		TG_GUARD(tg_hs_vec_read(body, 2, 0, 0xffff, &out->data));
		break;
	default:
		return tg_error(TG_E_INVAL);
	}
	out->kx = kx;
	return tg_cur_end(body);
}

tg_result tg_hs_client_key_exchange_write(struct tg_wcur *w,
				const struct tg_hs_client_key_exchange *in)
{
	size_t mark;

	TG_ENSURE_REF(w);
	TG_ENSURE_REF(in);
	TG_ENSURE(in->kx == TG_HS_KX_ECDHE || in->kx == TG_HS_KX_RSA,
		  TG_E_INVAL);
	TG_GUARD(tg_hs_hdr_begin(w, TG_HS_CLIENT_KEY_EXCHANGE, &mark));
	if (in->kx == TG_HS_KX_ECDHE)
		TG_GUARD(tg_hs_vec_write(w, 1, 1, 255, &in->data));
	else
		TG_GUARD(tg_hs_vec_write(w, 2, 0, 0xffff, &in->data));
	return tg_hs_hdr_end(w, mark);
}
