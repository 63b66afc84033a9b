/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_cur.h
 * Bounded byte cursors: the only way wire bytes are read or written.
 *
 * A reader (struct tg_cur) is a pointer, a length and a position; every
 * read checks the remaining length first and fails with TG_E_DECODE rather
 * than run past the end. A writer (struct tg_wcur) is the same over an
 * output buffer and fails with TG_E_NOSPACE. Vectors with a length prefix
 * (TLS `opaque x<0..2^16-1>`) are read as sub-cursors, so a parser of an
 * inner structure can never see bytes outside it.
 */
#ifndef TG_CUR_H
#define TG_CUR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_result.h"

/** Bounded reader over an immutable byte range. */
struct tg_cur {
	const uint8_t *p; /**< start of the range */
	size_t len;       /**< length of the range */
	size_t pos;       /**< next byte to read */
};

/** Bounded writer over an output buffer. */
struct tg_wcur {
	uint8_t *p;  /**< start of the buffer */
	size_t cap;  /**< capacity of the buffer */
	size_t pos;  /**< bytes written so far */
};

/** A reader over @p len bytes at @p p. */
static inline struct tg_cur tg_cur_init(const void *p, size_t len)
{
	return (struct tg_cur){ .p = (const uint8_t *)p, .len = len, .pos = 0 };
}

/** Bytes left to read. */
static inline size_t tg_cur_left(const struct tg_cur *c)
{
	return c->len - c->pos;
}

/** Pointer to the next unread byte (valid for tg_cur_left() bytes). */
static inline const uint8_t *tg_cur_ptr(const struct tg_cur *c)
{
	return c->p + c->pos;
}

/** Fail with TG_E_DECODE unless the reader is fully consumed. */
static inline TG_MUST_CHECK tg_result tg_cur_end(const struct tg_cur *c)
{
	TG_ENSURE(c->pos == c->len, TG_E_DECODE);
	return TG_OK;
}

/** Skip @p n bytes. */
static inline TG_MUST_CHECK tg_result tg_cur_skip(struct tg_cur *c, size_t n)
{
	TG_ENSURE(n <= tg_cur_left(c), TG_E_DECODE);
	c->pos += n;
	return TG_OK;
}

/** Read an unsigned big-endian integer of @p n (1..8) bytes. */
static inline TG_MUST_CHECK tg_result tg_cur_be(struct tg_cur *c, unsigned n,
						uint64_t *out)
{
	uint64_t v = 0;

	TG_ENSURE(n >= 1 && n <= 8 && out != NULL, TG_E_INVAL);
	TG_ENSURE(n <= tg_cur_left(c), TG_E_DECODE);
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | c->p[c->pos + i];
	c->pos += n;
	*out = v;
	return TG_OK;
}

/** Read one byte. */
static inline TG_MUST_CHECK tg_result tg_cur_u8(struct tg_cur *c, uint8_t *out)
{
	TG_ENSURE(tg_cur_left(c) >= 1, TG_E_DECODE);
	*out = c->p[c->pos++];
	return TG_OK;
}

/** Read a big-endian 16-bit integer. */
static inline TG_MUST_CHECK tg_result tg_cur_u16(struct tg_cur *c,
						 uint16_t *out)
{
	uint64_t v;

	TG_GUARD(tg_cur_be(c, 2, &v));
	*out = (uint16_t)v;
	return TG_OK;
}

/** Read a big-endian 24-bit integer. */
static inline TG_MUST_CHECK tg_result tg_cur_u24(struct tg_cur *c,
						 uint32_t *out)
{
	uint64_t v;

	TG_GUARD(tg_cur_be(c, 3, &v));
	*out = (uint32_t)v;
	return TG_OK;
}

/** Read a big-endian 32-bit integer. */
static inline TG_MUST_CHECK tg_result tg_cur_u32(struct tg_cur *c,
						 uint32_t *out)
{
	uint64_t v;

	TG_GUARD(tg_cur_be(c, 4, &v));
	*out = (uint32_t)v;
	return TG_OK;
}

/** Read a big-endian 64-bit integer. */
static inline TG_MUST_CHECK tg_result tg_cur_u64(struct tg_cur *c,
						 uint64_t *out)
{
	return tg_cur_be(c, 8, out);
}

/** Copy @p n bytes out. */
static inline TG_MUST_CHECK tg_result tg_cur_copy(struct tg_cur *c, void *dst,
						  size_t n)
{
	TG_ENSURE(n <= tg_cur_left(c), TG_E_DECODE);
	if (n)
		memcpy(dst, c->p + c->pos, n);
	c->pos += n;
	return TG_OK;
}

/** Borrow @p n bytes in place: @p out points into the reader's range. */
static inline TG_MUST_CHECK tg_result tg_cur_take(struct tg_cur *c, size_t n,
						  const uint8_t **out)
{
	TG_ENSURE(n <= tg_cur_left(c), TG_E_DECODE);
	*out = c->p + c->pos;
	c->pos += n;
	return TG_OK;
}

/** Take the next @p n bytes as a sub-reader. */
static inline TG_MUST_CHECK tg_result tg_cur_sub(struct tg_cur *c, size_t n,
						 struct tg_cur *sub)
{
	const uint8_t *p;

	TG_GUARD(tg_cur_take(c, n, &p));
	*sub = tg_cur_init(p, n);
	return TG_OK;
}

/**
 * Read a vector with a @p prefix-byte (1, 2 or 3) length and a length in
 * [@p min, @p max] as a sub-reader (TLS `opaque v<min..max>`).
 */
static inline TG_MUST_CHECK tg_result tg_cur_vec(struct tg_cur *c,
						 unsigned prefix, size_t min,
						 size_t max, struct tg_cur *sub)
{
	uint64_t n;

	TG_ENSURE(prefix >= 1 && prefix <= 3, TG_E_INVAL);
	TG_GUARD(tg_cur_be(c, prefix, &n));
	TG_ENSURE(n >= min && n <= max, TG_E_DECODE);
	return tg_cur_sub(c, (size_t)n, sub);
}

/** A writer over @p cap bytes at @p p. */
static inline struct tg_wcur tg_wcur_init(void *p, size_t cap)
{
	return (struct tg_wcur){ .p = (uint8_t *)p, .cap = cap, .pos = 0 };
}

/** Room left in the writer. */
static inline size_t tg_wcur_left(const struct tg_wcur *w)
{
	return w->cap - w->pos;
}

/** Write an unsigned big-endian integer of @p n (1..8) bytes. */
static inline TG_MUST_CHECK tg_result tg_wcur_be(struct tg_wcur *w, unsigned n,
						 uint64_t v)
{
	TG_ENSURE(n >= 1 && n <= 8, TG_E_INVAL);
	TG_ENSURE(n <= tg_wcur_left(w), TG_E_NOSPACE);
	for (unsigned i = 0; i < n; i++)
		w->p[w->pos + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	w->pos += n;
	return TG_OK;
}

/** Write one byte. */
static inline TG_MUST_CHECK tg_result tg_wcur_u8(struct tg_wcur *w, uint8_t v)
{
	return tg_wcur_be(w, 1, v);
}

/** Write a big-endian 16-bit integer. */
static inline TG_MUST_CHECK tg_result tg_wcur_u16(struct tg_wcur *w,
						  uint16_t v)
{
	return tg_wcur_be(w, 2, v);
}

/** Write a big-endian 24-bit integer. */
static inline TG_MUST_CHECK tg_result tg_wcur_u24(struct tg_wcur *w,
						  uint32_t v)
{
	TG_ENSURE(v < (1u << 24), TG_E_INVAL);
	return tg_wcur_be(w, 3, v);
}

/** Write a big-endian 64-bit integer. */
static inline TG_MUST_CHECK tg_result tg_wcur_u64(struct tg_wcur *w,
						  uint64_t v)
{
	return tg_wcur_be(w, 8, v);
}

/** Write @p n bytes. */
static inline TG_MUST_CHECK tg_result tg_wcur_bytes(struct tg_wcur *w,
						    const void *src, size_t n)
{
	TG_ENSURE(n <= tg_wcur_left(w), TG_E_NOSPACE);
	if (n)
		memcpy(w->p + w->pos, src, n);
	w->pos += n;
	return TG_OK;
}

/**
 * Reserve a @p prefix-byte length field; write the vector's body, then
 * close it with tg_wcur_vec_end(), which fills in the length.
 */
static inline TG_MUST_CHECK tg_result tg_wcur_vec_begin(struct tg_wcur *w,
							unsigned prefix,
							size_t *mark)
{
	*mark = w->pos;
	return tg_wcur_be(w, prefix, 0);
}

/** Fill in the length of a vector opened by tg_wcur_vec_begin(). */
static inline TG_MUST_CHECK tg_result tg_wcur_vec_end(struct tg_wcur *w,
						      unsigned prefix,
						      size_t mark)
{
	size_t n = w->pos - mark - prefix;

	TG_ENSURE(prefix >= 1 && prefix <= 3 && mark + prefix <= w->pos,
		  TG_E_INVAL);
	TG_ENSURE(n < ((size_t)1 << (8 * prefix)), TG_E_OVERFLOW);
	for (unsigned i = 0; i < prefix; i++)
		w->p[mark + i] = (uint8_t)(n >> (8 * (prefix - 1 - i)));
	return TG_OK;
}

#endif
