/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hs_internal.h
 * Shared pieces of the handshake message files (not a public API).
 */
#ifndef TG_HS_INTERNAL_H
#define TG_HS_INTERNAL_H

#include "tg_hs_msg.h"

/** Open a handshake message: type and a u24 length filled in at the end. */
TG_MUST_CHECK tg_result tg_hs_hdr_begin(struct tg_wcur *w, uint8_t type,
					size_t *mark);

/** Close a message opened by tg_hs_hdr_begin() (TG_E_OVERFLOW when its
 *  body is over TG_TLS_MAX_HS_MSG). */
TG_MUST_CHECK tg_result tg_hs_hdr_end(struct tg_wcur *w, size_t mark);

/** tg_hs_hdr_end() with the bound @p max (the message's tg_hs_msg_max()). */
TG_MUST_CHECK tg_result tg_hs_hdr_end_max(struct tg_wcur *w, size_t mark,
					  size_t max);

/** Read a u16 list with a @p prefix-byte length in [min, max] bytes; an
 *  odd byte length is a decode error. */
TG_MUST_CHECK tg_result tg_hs_u16_list_read(struct tg_cur *c, unsigned prefix,
					    size_t min, size_t max,
					    struct tg_hs_u16_list *out);

/** Write a u16 list with a @p prefix-byte length; its byte length must be
 *  in [min, max], else TG_E_INVAL. */
TG_MUST_CHECK tg_result tg_hs_u16_list_write(struct tg_wcur *w,
					     unsigned prefix, size_t min,
					     size_t max,
					     const struct tg_hs_u16_list *l);

/** Check that @p b is a list of items, each with a @p prefix-byte length
 *  in [1, 2^(8*prefix)-1]; count them. */
TG_MUST_CHECK tg_result tg_hs_list_check(const struct tg_hs_bytes *b,
					 unsigned prefix, size_t *count);

/** Write @p b as an opaque vector with a @p prefix-byte length in
 *  [min, max] (TG_E_INVAL outside). */
TG_MUST_CHECK tg_result tg_hs_vec_write(struct tg_wcur *w, unsigned prefix,
					size_t min, size_t max,
					const struct tg_hs_bytes *b);

/** Read an opaque vector as borrowed bytes. */
TG_MUST_CHECK tg_result tg_hs_vec_read(struct tg_cur *c, unsigned prefix,
				       size_t min, size_t max,
				       struct tg_hs_bytes *out);

/** One bit per extension type, for the duplicate check (RFC 5246
 *  §7.4.1.4). 8 KiB: lives on the parser's stack. */
struct tg_hs_ext_seen {
	uint64_t bits[65536 / 64];
};

/** Record extension @p type; TG_E_DECODE when it was already seen. */
TG_MUST_CHECK tg_result tg_hs_ext_mark(struct tg_hs_ext_seen *s,
				       uint16_t type);

/** Reads one extension's body into a hello (@p out). */
typedef tg_result (*tg_hs_ext_read_fn)(uint16_t type, struct tg_cur *ext,
				       void *out);

/**
 * The extensions block that may end a hello (RFC 5246 §7.4.1.2/3): when
 * bytes follow, a u16-prefixed list that must end the body, each type at
 * most once, each body handed to @p fn. Sets @p has_block.
 */
TG_MUST_CHECK tg_result tg_hs_ext_block_read(struct tg_cur *body,
					     tg_hs_ext_read_fn fn, void *out,
					     bool *has_block);

/** The extensions of a list body (no length prefix), each type at most
 *  once, each body handed to @p fn. */
TG_MUST_CHECK tg_result tg_hs_ext_list_read(struct tg_cur *exts,
					    tg_hs_ext_read_fn fn, void *out);

/** ECPointFormatList <1..2^8-1> (RFC 8422 §5.1.2) filling the extension
 *  body exactly; the uncompressed check is tg_hs_point_formats_check(). */
TG_MUST_CHECK tg_result tg_hs_point_formats_read(struct tg_cur *ext,
						 struct tg_hs_bytes *out);

/** TG_E_ILLEGAL_PARAM unless the list has uncompressed(0) (RFC 8422
 *  §5.1.2); run after the whole message decoded, so that syntax errors
 *  win. */
TG_MUST_CHECK tg_result tg_hs_point_formats_check(const struct tg_hs_bytes *pf);

/** renegotiation_info body (RFC 5746 §3.2): renegotiated_connection
 *  <0..255> filling the extension exactly. */
TG_MUST_CHECK tg_result tg_hs_reneg_info_read(struct tg_cur *ext,
					      struct tg_hs_bytes *out);

/** Hello prefix shared by ClientHello and ServerHello: version, random,
 *  session_id <0..32>. */
TG_MUST_CHECK tg_result tg_hs_hello_head_read(struct tg_cur *c,
					      uint16_t *version,
					      uint8_t *random,
					      uint8_t *sid_len, uint8_t *sid);

/** Write the shared hello prefix. */
TG_MUST_CHECK tg_result tg_hs_hello_head_write(struct tg_wcur *w,
					       uint16_t version,
					       const uint8_t *random,
					       uint8_t sid_len,
					       const uint8_t *sid);

/** Open an extension: type and a u16 length filled in by tg_wcur_vec_end. */
TG_MUST_CHECK tg_result tg_hs_ext_begin(struct tg_wcur *w, uint16_t type,
					size_t *mark);

/** An extension with empty extension_data: @p type and a zero length. */
TG_MUST_CHECK tg_result tg_hs_ext_empty(struct tg_wcur *w, uint16_t type);

/**
 * The server's ALPN answer (RFC 7301 §3.1: exactly one ProtocolName), in
 * ServerHello (TLS 1.2) or EncryptedExtensions (TLS 1.3): read from the
 * extension's body @p ext into @p alpn, or written whole (type included).
 */
TG_MUST_CHECK tg_result tg_hs_ext_alpn1_read(struct tg_cur *ext,
					     struct tg_hs_bytes *alpn);
/** @copydoc tg_hs_ext_alpn1_read */
TG_MUST_CHECK tg_result tg_hs_ext_alpn1_write(struct tg_wcur *w,
					      const struct tg_hs_bytes *alpn);

#endif
