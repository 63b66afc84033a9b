/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_timer.c
 * A hierarchical timer wheel (Varghese and Lauck, "Hashed and
 * Hierarchical Timing Wheels"): four levels of 64 slots, 1 ms, 64 ms,
 * 4.1 s and 262 s per slot. Arming and cancelling are O(1) (a timer is a
 * node of a doubly linked slot list inside its connection); a tick looks
 * at one slot of level 0, and every 64 ticks the next slot of the level
 * above is spread into the levels below. A timer beyond the wheel's
 * reach (4.6 hours) waits in the top level and is put back when its slot
 * comes round.
 */
#include "tcp_int.h"

void tg_wheel_init(struct tg_wheel *w, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->now = now;
}

static void tg_wheel_link(struct tg_wheel *w, struct tg_timer *t)
{
	uint64_t delta = t->expire - w->now;
	unsigned lvl = 0;
	uint64_t at = t->expire;
	struct tg_timer **head;

	while (lvl < TG_WHEEL_LEVELS - 1 &&
	       delta >= ((uint64_t)1 << (TG_WHEEL_BITS * (lvl + 1))))
		lvl++;
	if (lvl == TG_WHEEL_LEVELS - 1 &&
	    delta >= ((uint64_t)1 << (TG_WHEEL_BITS * TG_WHEEL_LEVELS)))
		at = w->now + ((uint64_t)1 << (TG_WHEEL_BITS * TG_WHEEL_LEVELS)) - 1;
	head = &w->slot[lvl][(at >> (TG_WHEEL_BITS * lvl)) & (TG_WHEEL_SLOTS - 1)];
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

static void tg_wheel_unlink(struct tg_timer *t)
{
	if (t->next != NULL)
		t->next->pprev = t->pprev;
	*t->pprev = t->next;
	t->next = NULL;
	t->pprev = NULL;
}

void tg_wheel_arm(struct tg_wheel *w, struct tg_timer *t, uint64_t expire)
{
	if (tg_timer_armed(t))
		tg_wheel_cancel(w, t);
	/* due now or in the past: the next tick */
	t->expire = expire > w->now ? expire : w->now + 1;
	tg_wheel_link(w, t);
	w->armed++;
}

void tg_wheel_cancel(struct tg_wheel *w, struct tg_timer *t)
{
	if (!tg_timer_armed(t))
		return;
	tg_wheel_unlink(t);
	w->armed--;
}

/* Spread slot @p idx of level @p lvl into the levels below. */
static void tg_wheel_cascade(struct tg_wheel *w, unsigned lvl, unsigned idx)
{
	struct tg_timer *t = w->slot[lvl][idx];

	w->slot[lvl][idx] = NULL;
	while (t != NULL) {
		struct tg_timer *nx = t->next;

		t->next = NULL;
		t->pprev = NULL;
		tg_wheel_link(w, t);
		t = nx;
	}
}

unsigned tg_wheel_advance(struct tg_wheel *w, uint64_t now,
			  void (*fire)(void *ctx, struct tg_timer *t), void *ctx)
{
	unsigned fired = 0;

	while (w->now < now) {
		unsigned idx;

		if (w->armed == 0) {
			w->now = now;
			break;
		}
		w->now++;
		idx = (unsigned)(w->now & (TG_WHEEL_SLOTS - 1));
		if (idx == 0) {
			/* level 0 wrapped: bring the next slot of each level
			 * that wrapped down, the highest first */
			unsigned top = 1;

			while (top < TG_WHEEL_LEVELS - 1 &&
			       ((w->now >> (TG_WHEEL_BITS * top)) & (TG_WHEEL_SLOTS - 1)) == 0)
				top++;
			for (unsigned l = top; l >= 1; l--)
				tg_wheel_cascade(w, l,
						 (unsigned)((w->now >> (TG_WHEEL_BITS * l)) &
							    (TG_WHEEL_SLOTS - 1)));
		}
		/* fire one at a time: a handler may cancel any timer,
		 * the next one of this slot included */
		while (w->slot[0][idx] != NULL) {
			struct tg_timer *t = w->slot[0][idx];

			tg_wheel_unlink(t);
			w->armed--;
			if (t->expire > w->now) {
				/* placed by a wrap of the top level */
				tg_wheel_link(w, t);
				w->armed++;
				continue;
			}
			fired++;
			fire(ctx, t);
		}
	}
	return fired;
}
