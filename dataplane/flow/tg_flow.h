/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_flow.h
 * The flow engine (dataplane/flow): the one place that knows TLS flows.
 *
 * One engine per dataplane lcore. It owns the flow table (slots with
 * generations), each flow's buffers, the rings to and from the control
 * plane, the record passes (rx: framing and one open burst across every
 * flow with records; tx: gather and one seal burst across every flow
 * with data), backend choice and retry, the PROXY header, close and
 * close_notify, back-pressure, record sizing, timers, drain and the
 * access log.
 *
 * A transport (dataplane/sock on kernel sockets, the userspace TCP of
 * dataplane/tcp, an in-memory one in the tests) plugs in through a const
 * table of operations (struct tg_flow_ops): connect a flow to a backend,
 * receive and send bytes on either side, say which events the engine
 * wants, shut a side down, release a flow. It drives the engine through
 * events: a client arrived (tg_flow_accept), a side is readable or
 * writable, a side was reset, a backend connected or failed. It never
 * sees a TLS record; the engine never sees a file descriptor or an mbuf.
 *
 *   transport -> flow engine -> accel (records) / control (handshakes)
 *
 * Events are level-triggered, as epoll's default: while the engine wants
 * to read a side (tg_flow_ops::want) and that side has bytes, an end or
 * an error to report, the transport reports it readable in each of its
 * polls (the engine takes a bounded share per round); while it wants to
 * write one that can take bytes, writable.
 *
 * Receiving: the engine pulls bytes (tg_flow_ops::recv into iovecs that
 * point into its own buffers), so a socket's read() lands where the
 * record will be opened, and a backend's bytes land in the slots of the
 * records they will be sealed as (no copy on either path). A transport
 * that holds received bytes in contiguous memory of its own may also
 * offer tg_flow_ops::peek/consume: a record that lies whole in such a span
 * is opened where it is, without a copy into the engine; a record cut at
 * the span's end is copied into the engine's buffer and completed there
 * (so the transport is drained and a level-triggered readable does not
 * spin on it). Records across mbuf segments are for the accel API's
 * mbuf-chain form (struct tg_rec::m).
 *
 * Sending: a transport that can lend the memory its send stream goes out
 * from offers tg_flow_ops::send_reserve/send_commit (the DPDK transport,
 * on its TCP's mbufs): the backend's bytes are then received into the
 * slots of records laid out in a reservation of the client's stream,
 * sealed there and committed in the flow's order once back; a record of
 * 4 KiB or more across the transport's buffers is taken out as an mbuf
 * chain where the transport offers tg_flow_ops::recv_chain/send_chain
 * (opened in it and appended to the backend's stream, no copy), else
 * copied once into a reservation of the backend's stream (its header
 * and explicit nonce as the prefix), opened there and committed with
 * its plaintext. Alerts,
 * KeyUpdates, close_notify and the handshake's flights go through the
 * engine's buffer and tg_flow_ops::send, after every reservation.
 *
 * Records go through one asynchronous accel queue per engine (struct
 * tg_accel_q): the rx and tx passes submit their bursts and the records
 * come back done in each flow's order, at once with a CPU backend
 * (ipsecmb, simd, evp), later with a crypto PMD (cryptodev), while the
 * transport keeps polling. Until a sealed record is back the bytes of the
 * flow's output from it on are not sent (never a byte in clear); a full
 * queue is back-pressure (the flows wait for the next pass); a failed
 * seal drops its flow, a failed open gets bad_record_mac; a flow closed
 * with records in flight keeps its slot until they are back.
 *
 * Threading: an engine and its flows belong to one thread (its lcore);
 * only the rings, the backends list and the global connection count are
 * shared.
 */
#ifndef TG_FLOW_H
#define TG_FLOW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "tg_addr.h"
#include "tg_result.h"

struct rte_mbuf;
struct rte_ring;
struct tg_accel;
struct tg_backends;
struct tg_backends_cur;
struct tg_wk_stats;
struct tg_flow;
struct tg_flow_engine;

/** PROXY protocol header sent to backends. */
enum tg_proxy_proto {
	TG_PROXY_NONE = 0,
	TG_PROXY_V1,
	TG_PROXY_V2,
};

/**
 * The limits, timeouts and record sizing the engine runs with: a type of
 * the dataplane that the application's configuration embeds.
 */
struct tg_flow_settings {
	unsigned max_conns;              /**< global, all engines together */
	unsigned max_conns_per_worker;   /**< flow slots of one engine */
	unsigned handshake_timeout_ms;   /**< from accept to the key install */
	unsigned idle_timeout_ms;        /**< no byte either way */
	unsigned drain_timeout_ms;       /**< drain: longest wait for flows */
	unsigned connect_timeout_ms;     /**< one backend connect, from its
					      start */
	unsigned connect_retries;        /**< more backends tried after a failure */
	unsigned max_buffer;             /**< bytes per flow per direction */
	unsigned record_small;           /**< record size at start and after idle */
	unsigned record_max;             /**< record size once ramped up */
	unsigned record_ramp_bytes;      /**< bytes sent before going to max */
	unsigned record_idle_ms;         /**< idle time that resets to small */
	enum tg_proxy_proto proxy_protocol; /**< header to backends */
	/** TLS 1.3: records sealed under one key before our own KeyUpdate
	 *  (RFC 8446 §5.5); 0 = 2^24, well inside AES-GCM's 2^24.5 */
	uint64_t tls13_rekey_records;
};

/** The two sides of a flow. */
enum tg_flow_side {
	TG_FLOW_CLIENT = 0,  /**< the TLS client (ciphertext) */
	TG_FLOW_BACKEND = 1, /**< the backend server (plaintext) */
};

/**
 * What a transport does for the engine. Every operation gets the
 * transport's context and the flow (tg_flow_slot() indexes the
 * transport's own per-flow state).
 */
struct tg_flow_ops {
	/** Name, for logs ("sock", "tcp", "mem"). */
	const char *name;
	/**
	 * Start connecting the flow's backend side to @p addr.
	 * @return TG_OK when under way (tg_flow_backend_connected() or
	 *         tg_flow_backend_failed() follows); TG_E_IO when this
	 *         backend failed at once (the engine tries the next one);
	 *         another error when no connection can be made now (out of
	 *         descriptors, memory: the engine gives up)
	 */
	tg_result (*connect)(void *tctx, struct tg_flow *f,
			     const struct tg_addr *addr);
	/**
	 * Receive bytes of @p side into @p iov (one or more buffers).
	 * @return bytes received (> 0); 0 at the end of the stream; -EAGAIN
	 *         when there are none now; another -errno when the side
	 *         failed (a reset)
	 */
	ssize_t (*recv)(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			const struct iovec *iov, int iovcnt);
	/**
	 * Send bytes to @p side.
	 * @return bytes taken (0 when none can be now: the engine waits for
	 *         writable), or -1 when the side failed
	 */
	ssize_t (*send)(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			const uint8_t *p, size_t len);
	/** Which events of @p side the engine wants now (both false: none,
	 *  but a reset must still be reported). */
	void (*want)(void *tctx, struct tg_flow *f, enum tg_flow_side side,
		     bool readable, bool writable);
	/** Shut the write side of @p side down after what was sent (FIN). */
	void (*shutdown)(void *tctx, struct tg_flow *f, enum tg_flow_side side);
	/** Drop the backend side's connection (a connect given up). */
	void (*abort)(void *tctx, struct tg_flow *f, enum tg_flow_side side);
	/** The flow is over: release both sides (client and any backend). */
	void (*release)(void *tctx, struct tg_flow *f);
	/**
	 * Optional (NULL: not offered). The received bytes of @p side that
	 * lie contiguous in the transport's own memory, from the first one
	 * not yet consumed: sets @p *p and returns their count (0: none).
	 * The engine may write into them (records are opened in place) and
	 * consumes what it used with @ref consume; they stay valid, and
	 * where they are, until then or until the flow is released (records
	 * opened there may still be in flight in the accel queue when more
	 * bytes arrive behind them: those must not move them; the engine
	 * releases a flow only once they are back).
	 */
	uint32_t (*peek)(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			 uint8_t **p);
	/** With peek: @p n bytes of @p side were used. */
	void (*consume)(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			uint32_t n);
	/**
	 * Optional (NULL: the transport reports every connect's end at once).
	 * Asked when a backend connect's time is up, before the engine gives
	 * it up: whether it ended meanwhile with an event not delivered yet
	 * (a worker descheduled for longer than the timeout, or more events
	 * ready than one wait returns). Reports nothing through events itself.
	 * @return 1 connected (the engine goes on as after
	 *         tg_flow_backend_connected()), 0 still under way, negative
	 *         failed
	 */
	int (*connect_check)(void *tctx, struct tg_flow *f);
	/**
	 * Optional, all four or none (NULL: the engine sends through @ref
	 * send from buffers of its own). Reserve @p prefix + @p len bytes
	 * (at most TG_FLOW_RESV_MAX) of contiguous memory in the send
	 * stream of @p side: bytes [prefix, prefix + len) become the next
	 * bytes of its stream once committed, nothing of them before. Records
	 * are sealed (tx) and opened (rx) there, in place. Several may be
	 * outstanding; @ref send is not called while one is. Their memory
	 * stays valid and where it is until committed, cancelled or the
	 * flow released (a reset does not free it: records may be in flight
	 * in the accel queue in it).
	 * @return the start of the prefix; NULL when none can be now (the
	 *         engine waits for writable)
	 */
	uint8_t *(*send_reserve)(void *tctx, struct tg_flow *f,
				 enum tg_flow_side side, uint32_t prefix,
				 uint32_t len);
	/** Commit the oldest outstanding reservation of @p side with @p n
	 *  bytes from its prefix on (0: drop it). */
	void (*send_commit)(void *tctx, struct tg_flow *f,
			    enum tg_flow_side side, uint32_t n);
	/** Drop every outstanding reservation of @p side. */
	void (*send_cancel)(void *tctx, struct tg_flow *f,
			    enum tg_flow_side side);
	/** Bytes of @p side received and not read yet (what @ref recv
	 *  would give now). */
	uint32_t (*pending)(void *tctx, struct tg_flow *f,
			    enum tg_flow_side side);
	/**
	 * Optional, both or none (NULL: records across the transport's
	 * buffers go by the paths above); with peek and pending. Take the
	 * next @p n received bytes of @p side out of the transport as an
	 * mbuf chain of at most @p max_segs segments, without a copy (its
	 * own buffers): the engine opens a record in it (struct tg_rec's
	 * mbuf form) and hands its plaintext to @ref send_chain of the
	 * other side, or frees it.
	 * @return the chain (nb_segs and pkt_len on the first mbuf), or
	 *         NULL when it cannot be now: fewer bytes, more segments,
	 *         no mbuf, or the flow's other side takes no chain (the
	 *         engine then takes the bytes by its other paths)
	 */
	struct rte_mbuf *(*recv_chain)(void *tctx, struct tg_flow *f,
				       enum tg_flow_side side, uint32_t n,
				       unsigned max_segs);
	/**
	 * Append chain @p m to the stream of @p side: its bytes follow what
	 * was sent and committed, as a committed reservation's (not while
	 * one is outstanding: the engine has none then).
	 * @return 0: taken (the transport's now); -EAGAIN: not now (the
	 *         engine keeps it and waits for writable); another -errno:
	 *         the side cannot send. On an error @p m stays the engine's.
	 */
	int (*send_chain)(void *tctx, struct tg_flow *f, enum tg_flow_side side,
			  struct rte_mbuf *m);
};

/** What tg_flow_ops::send_reserve takes at most (prefix included): a
 *  whole TLS 1.2 ciphertext record, 5 + 2^14 + 2048 bytes. */
#define TG_FLOW_RESV_MAX (5u + 16384u + 2048u)

/** Hooks to the control plane (the engine knows no control-plane code). */
struct tg_flow_ctl_hooks {
	void *ctx;                      /**< given to both hooks */
	/** A message was queued on the ring to the control plane: wake it. */
	void (*notify)(void *ctx);
	/** Handshakes run inline in this thread: one control-plane round
	 *  (NULL when they run on a thread of their own). */
	unsigned (*poll)(void *ctx);
};

/** Everything an engine needs; the caller keeps it alive. */
struct tg_flow_conf {
	unsigned id;                       /**< worker number (messages, logs) */
	const struct tg_flow_settings *set; /**< limits, timeouts, sizes */
	struct tg_accel *acc;              /**< record sessions and the
					        engine's accel queue */
	struct rte_ring *to_ctl;           /**< handshake bytes out */
	struct rte_ring *from_ctl;         /**< key installs and output in */
	struct tg_flow_ctl_hooks ctl;      /**< wake / run the control plane */
	struct tg_backends_cur *backends;  /**< current list (a reload swaps it) */
	struct tg_wk_stats *stats;         /**< this engine's counters */
	atomic_uint *conns_total;          /**< connections of every engine */
	FILE *access_log;                  /**< NULL = off */
	const struct tg_flow_ops *ops;     /**< the transport */
	void *tctx;                        /**< its context */
	/** Clock in milliseconds (NULL: CLOCK_MONOTONIC); tests step it. */
	uint64_t (*now_ms)(void);
};

/**
 * Create an engine with tg_flow_settings::max_conns_per_worker slots.
 * @param conf  the configuration (kept by pointer)
 * @param out   the engine, on success
 * @return TG_OK, TG_E_INVAL for a conf without ops, rings, settings or
 *         accel engine, TG_E_NOMEM
 */
TG_MUST_CHECK tg_result tg_flow_engine_new(const struct tg_flow_conf *conf,
					   struct tg_flow_engine **out);

/**
 * Close every flow (no alert: tg_flow_engine_stop() says goodbye) and
 * free the engine, once the records in flight are back (at most about
 * two seconds, then the accel backends' own timeout).
 * @param e  the engine (NULL is a no-op)
 */
void tg_flow_engine_free(struct tg_flow_engine *e);

/**
 * @param e  an engine
 * @return its number of flow slots (a transport sizes its own per-flow
 *         state by it; tg_flow_slot() is below it)
 */
unsigned tg_flow_engine_slots(const struct tg_flow_engine *e);

/**
 * @param e  an engine
 * @return the flows open now
 */
unsigned tg_flow_engine_active(const struct tg_flow_engine *e);

/**
 * One round of the engine, after the transport has delivered the events
 * of its poll: control-plane messages (and an inline control-plane
 * round), the rx pass, the tx pass, progress of every flow touched, and
 * the timers (every flow, at most every 50 ms).
 * @param e  an engine
 */
void tg_flow_engine_round(struct tg_flow_engine *e);

/**
 * @param e  an engine
 * @return true when work is waiting that needs no event (records left to
 *         open, records in flight in the accel queue, flows waiting for
 *         room in it, control-plane messages queued): poll without
 *         sleeping
 */
bool tg_flow_engine_busy(const struct tg_flow_engine *e);

/**
 * Draining: the transport has stopped accepting; is it done?
 * @param e  an engine
 * @return true when no flow is left, or the drain timeout has passed
 *         since the first call
 */
bool tg_flow_engine_drained(struct tg_flow_engine *e);

/**
 * Stopping: wait for the records in flight (at most 200 ms), send
 * close_notify to every flow past its handshake, flush what the client
 * side takes at once, close every flow.
 * @param e  an engine
 */
void tg_flow_engine_stop(struct tg_flow_engine *e);

/**
 * A client connected: take a flow slot for it, within the limits
 * (engine slots, global max_conns).
 * @param e      an engine
 * @param peer   the client's address
 * @param local  our address it connected to
 * @return the flow, in its handshake; NULL when refused (over a limit,
 *         out of memory: counted; the transport closes the connection)
 */
struct tg_flow *tg_flow_accept(struct tg_flow_engine *e,
			       const struct sockaddr_storage *peer,
			       const struct sockaddr_storage *local);

/**
 * @param f  a flow
 * @return its slot, 0 .. tg_flow_engine_slots() - 1
 */
uint32_t tg_flow_slot(const struct tg_flow *f);

/**
 * @param f  a flow
 * @return its generation (a slot reused gets a new one)
 */
uint32_t tg_flow_gen(const struct tg_flow *f);

/**
 * The flow in @p slot if it is still the one of generation @p gen.
 * @param e     an engine
 * @param slot  a slot
 * @param gen   the generation the transport saw
 * @return the flow, or NULL when the slot is free or was reused
 */
struct tg_flow *tg_flow_find(struct tg_flow_engine *e, uint32_t slot,
			     uint32_t gen);

/**
 * @p side has bytes (or an end of stream) to receive. The client side is
 * read now; the backend side in the next tx pass.
 * @param e     an engine
 * @param f     the flow
 * @param side  which side
 */
void tg_flow_on_readable(struct tg_flow_engine *e, struct tg_flow *f,
			 enum tg_flow_side side);

/**
 * @p side can take bytes again: flushed in this round.
 * @param e     an engine
 * @param f     the flow
 * @param side  which side
 */
void tg_flow_on_writable(struct tg_flow_engine *e, struct tg_flow *f,
			 enum tg_flow_side side);

/**
 * @p side failed (reset, error). The client side closes the flow at once
 * (nothing more can reach it); on the backend side what arrived before
 * is still delivered, then the flow ends without close_notify.
 * @param e     an engine
 * @param f     the flow
 * @param side  which side
 */
void tg_flow_on_reset(struct tg_flow_engine *e, struct tg_flow *f,
		      enum tg_flow_side side);

/**
 * The backend connection started by tg_flow_ops::connect is up.
 * @param e  an engine
 * @param f  the flow
 */
void tg_flow_backend_connected(struct tg_flow_engine *e, struct tg_flow *f);

/**
 * The backend connection started by tg_flow_ops::connect failed (the
 * transport has released it): the next backend is tried.
 * @param e  an engine
 * @param f  the flow
 */
void tg_flow_backend_failed(struct tg_flow_engine *e, struct tg_flow *f);

#endif
