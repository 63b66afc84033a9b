/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_tcp.h
 * The userspace TCP (dataplane/tcp), one instance per lcore on top of a
 * dataplane/net instance (RFC 9293 and the RFCs named in docs/tcp.md).
 *
 * Ownership: an instance (struct tg_tcp) and all its connections belong
 * to one thread. Connections come from a pool sized at start, looked up
 * in a hash of the instance; connections in TIME_WAIT move to a bounded
 * table of small entries. Timers are a hierarchical timer wheel of the
 * instance (1 ms ticks). Nothing is allocated on the fast path: payload
 * lives in mbufs of the instance's pool (the send buffer holds exactly
 * the bytes it was given, so a retransmission resends the same bytes;
 * the receive buffer holds the received mbufs), and when that pool runs
 * low the receive windows stop opening and senders are paused.
 *
 * Shape: what a transport of the flow engine (tg_flow_ops) needs: listen
 * and accept, connect (the source port chosen so that the reply lands on
 * this instance), send, recv (into iovecs) or peek/consume (in place),
 * shutdown (FIN after what was sent), abort (RST), close; and events,
 * level-triggered like epoll's default: a connection that wants to read
 * and has bytes, an end or an error is reported readable at every
 * tg_tcp_events() call until it has none; the same for writable.
 *
 * A round of the owning thread:
 *   tg_tcp_poll()     receive (tg_net_poll), timers, output, flush
 *   tg_tcp_events()   readable / writable / accepted / connected / error
 *   ... the user's recv/send/shutdown/close calls ...
 *   tg_tcp_flush()    send what those calls queued
 */
#ifndef TG_TCP_H
#define TG_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "tg_net.h"
#include "tg_result.h"

struct tg_tcp;
struct rte_mbuf;
struct tg_tcp_conn;
struct tg_tcp_listener;

/** Congestion control. */
enum tg_tcp_cc {
	TG_TCP_CC_NEWRENO = 0, /**< RFC 5681 with RFC 6582 recovery */
	TG_TCP_CC_CUBIC,       /**< RFC 9438 */
};

/** An instance's settings; zero means the default given. */
struct tg_tcp_conf {
	struct tg_net *net;        /**< the network instance it runs on */
	unsigned max_conns;        /**< connection objects (1024) */
	unsigned max_tw;           /**< TIME_WAIT entries (max_conns); when
					full the oldest is dropped */
	unsigned syn_backlog;      /**< half-open connections per listener
					(max_conns / 4) */
	unsigned snd_buf;          /**< send buffer bytes per connection (256 KiB) */
	unsigned snd_big_mbufs;    /**< large mbufs of the instance for
					tg_tcp_send_reserve() (TG_TCP_RESV_MAX bytes
					each; 0: none, reservations up to a
					packet mbuf's room only) */
	unsigned rcv_buf;          /**< receive window bytes per connection (256 KiB) */
	unsigned ooo_max;          /**< out-of-order queue per connection, in
					bytes of buffer held (rcv_buf) */
	unsigned rto_init_ms;      /**< initial RTO (1000, RFC 6298 §2.1) */
	unsigned rto_min_ms;       /**< lowest RTO (200; RFC 6298 §2.4 says 1 s,
					docs/decisions.md says why not) */
	unsigned rto_max_ms;       /**< highest RTO (60000) */
	unsigned delack_ms;        /**< delayed ACK timeout (40) */
	bool no_delack;            /**< acknowledge every segment at once */
	bool nagle;                /**< Nagle's algorithm (off by default) */
	bool no_timestamps;        /**< do not offer RFC 7323 timestamps */
	bool no_wscale;            /**< do not offer RFC 7323 window scaling */
	bool no_sack;              /**< do not offer RFC 2018 SACK */
	bool no_rack;              /**< no RACK-TLP (RFC 8985): losses found by
					RFC 6675's DupThresh only, tails by the
					RTO */
	bool no_syncookies;        /**< drop SYNs over the backlog instead of
					answering with SYN cookies */
	unsigned syn_retries;      /**< SYN / SYN-ACK retransmissions (6) */
	unsigned max_retries;      /**< data retransmissions before giving up (15) */
	unsigned msl_ms;           /**< MSL; TIME_WAIT lasts 2 MSL (30000) */
	unsigned fin_timeout_ms;   /**< a closed connection's FIN_WAIT_2 (60000) */
	unsigned keepalive_ms;     /**< idle time before keep-alive probes (0: off,
					RFC 1122 §4.2.3.6) */
	unsigned keepalive_intvl_ms; /**< between probes (75000) */
	unsigned keepalive_cnt;    /**< unanswered probes before giving up (9) */
	unsigned challenge_acks;   /**< RFC 5961 §7 challenge ACKs per second (1000) */
	uint16_t port_lo;          /**< ephemeral ports for connect (32768) */
	uint16_t port_hi;          /**< (60999) */
	enum tg_tcp_cc cc;         /**< congestion control (NewReno) */
	uint64_t secret_seed;      /**< 0: random; else the ISN/cookie secret
					(tests replay) */
};

/** Event bits of struct tg_tcp_event. */
enum {
	TG_TCP_EV_READABLE = 1u << 0,  /**< bytes, the end or an error to read */
	TG_TCP_EV_WRITABLE = 1u << 1,  /**< the send buffer takes bytes */
	TG_TCP_EV_ACCEPTED = 1u << 2,  /**< a new connection from a listener */
	TG_TCP_EV_CONNECTED = 1u << 3, /**< tg_tcp_connect() completed */
	TG_TCP_EV_ERROR = 1u << 4,     /**< reset, refused or timed out: the
					    connection is dead; tg_tcp_close() it */
	TG_TCP_EV_CLOSED = 1u << 5,    /**< both FINs exchanged and acknowledged
					    (CLOSED or TIME_WAIT): nothing more
					    will happen; tg_tcp_close() it */
};

/** One event. */
struct tg_tcp_event {
	struct tg_tcp_conn *c; /**< the connection */
	void *udata;           /**< its user data (accepted: the listener's) */
	uint32_t ev;           /**< TG_TCP_EV_* bits */
};

/** An instance's counters. */
struct tg_tcp_stats {
	uint64_t active;          /**< connections (not TIME_WAIT) now */
	uint64_t time_wait;       /**< TIME_WAIT entries now */
	uint64_t accepted;        /**< passive opens completed */
	uint64_t connected;       /**< active opens completed */
	uint64_t connect_failed;  /**< refused or timed out */
	uint64_t syn_drop;        /**< SYNs dropped (no connection or backlog) */
	uint64_t syncookies_sent; /**< SYN-ACKs with a cookie (backlog full) */
	uint64_t syncookies_ok;   /**< connections made from a cookie */
	uint64_t syncookies_failed; /**< ACKs to a listener with a bad cookie */
	uint64_t segs_in;         /**< segments received */
	uint64_t segs_out;        /**< segments sent (those of TSO frames
				       counted as the device sends them) */
	uint64_t tso_frames;      /**< frames sent for the port to cut into
				       segments (TSO, issue 17) */
	uint64_t tso_segs;        /**< the segments they carried */
	uint64_t bytes_in;        /**< payload bytes delivered in order */
	uint64_t bytes_out;       /**< payload bytes sent (retransmissions too) */
	uint64_t malformed;       /**< bad header, options or flags */
	uint64_t no_conn_rst;     /**< RSTs sent for segments without a connection */
	uint64_t rst_in;          /**< connections reset by the peer */
	uint64_t rst_out;         /**< RSTs sent on connections (abort, errors) */
	uint64_t challenge_acks;  /**< RFC 5961 challenge ACKs sent */
	uint64_t challenge_limited; /**< challenge ACKs not sent (rate limit) */
	uint64_t bad_seq;         /**< segments out of the window (ACKed, dropped) */
	uint64_t paws_drop;       /**< RFC 7323 §5 PAWS drops */
	uint64_t oow_limited;     /**< ACKs not sent for dataless segments out of the window (rate limit) */
	uint64_t retransmits;     /**< segments sent again */
	uint64_t rto;             /**< retransmission timeouts */
	uint64_t fast_retransmits; /**< RFC 5681 / 6582 fast retransmits */
	uint64_t dupacks;         /**< duplicate ACKs received */
	uint64_t tlp;             /**< RFC 8985 tail loss probes sent */
	uint64_t tlp_recovered;   /**< probes that repaired a loss (§7.4) */
	uint64_t rack_lost;       /**< segments RACK marked lost (RFC 8985 §6.2) */
	uint64_t dsack_out;       /**< D-SACK blocks sent: duplicates received (RFC 2883) */
	uint64_t dsack_in;        /**< ACKs with a D-SACK block received */
	uint64_t dsack_undo;      /**< congestion responses undone: every
				       retransmission of the recovery D-SACKed
				       (RFC 3708, RFC 4015) */
	uint64_t ooo_segs;        /**< segments queued out of order */
	uint64_t ooo_drop;        /**< out-of-order segments over the cap */
	uint64_t window_probes;   /**< zero-window probes sent */
	uint64_t keepalives;      /**< keep-alive probes sent */
	uint64_t timeouts;        /**< connections given up (retries, keep-alive) */
	uint64_t tw_evicted;      /**< TIME_WAIT entries dropped (table full) */
	uint64_t tw_reused;       /**< TIME_WAIT entries reused (RFC 6191) */
	uint64_t no_mbuf;         /**< segments not sent or kept: pool empty */
	uint64_t no_route;        /**< segments the network refused (no route) */
	uint64_t pmtu_updates;    /**< MSS lowered by ICMP (RFC 1191) */
	uint64_t resv_bytes;      /**< bytes committed from reservations
				       (tg_tcp_send_commit) */
	uint64_t chain_bytes_in;  /**< bytes taken out as mbuf chains
				       (tg_tcp_recv_chain) */
	uint64_t chain_bytes_out; /**< bytes appended as mbuf chains
				       (tg_tcp_send_chain) */
};

/** What tg_tcp_info() tells about a connection. */
struct tg_tcp_info {
	int state;                 /**< enum tg_tcp_state */
	struct tg_net_addr laddr;  /**< our address */
	struct tg_net_addr raddr;  /**< the peer's */
	uint16_t lport;            /**< our port */
	uint16_t rport;            /**< the peer's */
	uint16_t mss;              /**< payload bytes per segment we send */
	uint8_t snd_wscale;        /**< the peer's window shift (RFC 7323) */
	uint8_t rcv_wscale;        /**< ours */
	bool timestamps;           /**< RFC 7323 timestamps on */
	bool sack;                 /**< RFC 2018 SACK on */
	uint32_t srtt_us;          /**< smoothed RTT */
	uint32_t rto_ms;           /**< current RTO */
	uint32_t cwnd;             /**< congestion window, bytes */
	uint32_t ssthresh;         /**< slow-start threshold, bytes */
	uint32_t snd_wnd;          /**< the peer's window, bytes */
	uint32_t unacked;          /**< bytes in flight */
	uint32_t snd_queued;       /**< bytes in the send buffer */
	uint32_t rcv_queued;       /**< bytes received, not read yet */
	uint64_t retransmits;      /**< segments sent again */
};

/** RFC 9293 §3.3.2 states. */
enum tg_tcp_state {
	TG_TCP_CLOSED = 0,
	TG_TCP_LISTEN,
	TG_TCP_SYN_SENT,
	TG_TCP_SYN_RCVD,
	TG_TCP_ESTABLISHED,
	TG_TCP_FIN_WAIT_1,
	TG_TCP_FIN_WAIT_2,
	TG_TCP_CLOSE_WAIT,
	TG_TCP_CLOSING,
	TG_TCP_LAST_ACK,
	TG_TCP_TIME_WAIT,
};

/**
 * Create an instance on @p conf->net and register it as its TCP input.
 * @param conf  the settings (copied)
 * @param out   the instance
 * @return TG_OK, TG_E_INVAL (no net), TG_E_NOMEM
 */
TG_MUST_CHECK tg_result tg_tcp_new(const struct tg_tcp_conf *conf,
				   struct tg_tcp **out);

/**
 * Free an instance: every connection is dropped without a segment (its
 * user's handles become invalid), the TIME_WAIT table emptied.
 * @param t  an instance (NULL is a no-op)
 */
void tg_tcp_free(struct tg_tcp *t);

/**
 * Listen on @p port of the instance's address.
 * @param t      an instance
 * @param port   a TCP port (host order)
 * @param udata  given with each accepted connection's event
 * @param out    the listener (may be NULL)
 * @return TG_OK, TG_E_INVAL (port 0, already listening), TG_E_NOSPACE
 *         (too many listeners)
 */
TG_MUST_CHECK tg_result tg_tcp_listen(struct tg_tcp *t, uint16_t port,
				      void *udata, struct tg_tcp_listener **out);

/**
 * Stop listening (connections accepted stay; half-open ones are dropped).
 * @param t  an instance
 * @param l  a listener of it
 */
void tg_tcp_unlisten(struct tg_tcp *t, struct tg_tcp_listener *l);

/**
 * Open a connection (its SYN goes at the next flush). The source port is
 * chosen among the ephemeral ports so that the peer's replies hash to
 * this instance (tg_net_port_owner()) and no connection or unusable
 * TIME_WAIT entry has the tuple.
 * @param t      an instance
 * @param dst    the peer
 * @param port   its port (host order)
 * @param udata  the connection's user data
 * @param out    the connection (reports CONNECTED or ERROR)
 * @return TG_OK, TG_E_INVAL, TG_E_NOMEM (no connection object),
 *         TG_E_NOSPACE (no source port left)
 */
TG_MUST_CHECK tg_result tg_tcp_connect(struct tg_tcp *t,
				       const struct tg_net_addr *dst,
				       uint16_t port, void *udata,
				       struct tg_tcp_conn **out);

/**
 * One round: tg_net_poll() (segments in), due timers, segments out,
 * tg_net_flush().
 * @param t  an instance
 * @return packets received (0: idle)
 */
unsigned tg_tcp_poll(struct tg_tcp *t);

/**
 * Send what the user's calls since the last round queued (data, FIN,
 * window updates), then tg_net_flush().
 * @param t  an instance
 */
void tg_tcp_flush(struct tg_tcp *t);

/**
 * The events of this round (level-triggered; see the file comment).
 * @param t    an instance
 * @param ev   where to put them
 * @param cap  room in @p ev
 * @return how many (more may be waiting when it is @p cap)
 */
unsigned tg_tcp_events(struct tg_tcp *t, struct tg_tcp_event *ev, unsigned cap);

/**
 * Say which events the user wants (both false: none, but ERROR, ACCEPTED
 * and CONNECTED are always reported).
 * @param c   a connection
 * @param rd  readable
 * @param wr  writable
 */
void tg_tcp_want(struct tg_tcp_conn *c, bool rd, bool wr);

/**
 * Receive into @p iov.
 * @param c       a connection
 * @param iov     buffers
 * @param iovcnt  how many
 * @return bytes (> 0); 0 at the end of the stream (the peer's FIN, all
 *         read); -EAGAIN when none now; -ECONNRESET, -ETIMEDOUT or
 *         -ECONNREFUSED when the connection failed
 */
ssize_t tg_tcp_recv(struct tg_tcp_conn *c, const struct iovec *iov, int iovcnt);

/**
 * The received bytes that lie contiguous in the first buffer, in place.
 * @param c  a connection
 * @param p  set to the first unread byte
 * @return their count (0: none)
 */
uint32_t tg_tcp_peek(struct tg_tcp_conn *c, uint8_t **p);

/**
 * @p n bytes seen by tg_tcp_peek() were used.
 * @param c  a connection
 * @param n  at most what tg_tcp_peek() returned
 */
void tg_tcp_consume(struct tg_tcp_conn *c, uint32_t n);

/**
 * Queue bytes (copied into the send buffer's mbufs; sent at the next
 * flush or round).
 * @param c    a connection
 * @param p    the bytes
 * @param len  how many
 * @return bytes taken (0: the buffer or the pool is full now, or a
 *         reservation is outstanding; wait for writable); -1 when the connection cannot send (failed, or
 *         shut down)
 */
ssize_t tg_tcp_send(struct tg_tcp_conn *c, const void *p, size_t len);

/** The most bytes (prefix included) one reservation can hold: a whole
 *  TLS record with room (2^14 + 2048 + 128). */
#define TG_TCP_RESV_MAX (16384u + 2048u + 128u)

/**
 * Reserve @p prefix + @p len bytes of contiguous writable memory in a
 * fresh mbuf (one of the packet pool when they fit in its data room, a
 * large one of the instance's otherwise, tg_tcp_conf::snd_big_mbufs).
 * Bytes [prefix, prefix + len) become the next bytes of the stream when
 * committed (tg_tcp_send_commit()); until then nothing of them is sent.
 * Several may be outstanding: they are committed oldest first. A plain
 * tg_tcp_send() takes nothing while one is outstanding (stream order).
 * The send buffer limit counts reserved bytes: a reservation is granted
 * while the connection is writable, so the buffer may go over snd_buf by
 * less than one reservation.
 * @param c       a connection
 * @param prefix  bytes before the stream's bytes (written, never sent)
 * @param len     bytes that may become stream bytes (> 0)
 * @return the start of the prefix; NULL when none can be now (not
 *         writable, the pool empty: wait for writable; the connection
 *         cannot send; too large)
 */
uint8_t *tg_tcp_send_reserve(struct tg_tcp_conn *c, uint32_t prefix, uint32_t len);

/**
 * Commit the oldest outstanding reservation: its bytes [prefix,
 * prefix + @p n) join the send buffer (sent at the next flush or round).
 * @p n 0 drops it; so does a connection that can no longer send.
 * @param c  a connection
 * @param n  at most the reservation's len
 */
void tg_tcp_send_commit(struct tg_tcp_conn *c, uint32_t n);

/**
 * Drop every outstanding reservation (tg_tcp_close() and tg_tcp_abort()
 * do it too; tg_tcp_fail, a reset, does not: their memory stays valid
 * until the user lets the connection go).
 * @param c  a connection
 */
void tg_tcp_send_cancel(struct tg_tcp_conn *c);

/**
 * Take the next @p n received in-order bytes out of the receive queue as
 * an mbuf chain, without a copy: the queue's own mbufs, linked through
 * ->next (the first one's nb_segs and pkt_len say the chain's), their
 * data cut to exactly those bytes. Where the last byte falls inside an
 * mbuf, the chain ends in an indirect mbuf (of the network's packet
 * pool) attached to it and cut to the bytes taken, and the queue keeps
 * the rest of the mbuf: both then reference one buffer, with bytes that
 * do not overlap, so the chain's may be written in place. The window
 * opens as if the bytes had been read (tg_tcp_recv()). The chain is the
 * caller's (rte_pktmbuf_free(), or tg_tcp_send_chain()).
 * @param c         a connection
 * @param n         bytes (> 0, at most tg_tcp_recv_avail())
 * @param max_segs  the most mbufs the chain may have
 * @return the chain; NULL (nothing taken) when fewer than @p n bytes are
 *         queued, they lie in more than @p max_segs mbufs, or the pool
 *         had no mbuf for the split
 */
struct rte_mbuf *tg_tcp_recv_chain(struct tg_tcp_conn *c, uint32_t n,
				   unsigned max_segs);
/**
 * Append the bytes of the mbuf chain @p m to the send stream: they
 * become its next bytes as committed reservation bytes do (the send
 * buffer owns the mbufs, each one a segment of it, so a retransmission
 * resends the same bytes; snd_buf counts them; empty mbufs are freed).
 * All or nothing, granted while the connection is writable (the buffer
 * may go over snd_buf by less than one chain), refused while a
 * reservation is outstanding (stream order, as tg_tcp_send()). Bytes
 * appended are never appended to (a later tg_tcp_send() starts a new
 * mbuf behind an indirect or shared one).
 * @param c  a connection
 * @param m  a chain (any mbufs, direct or indirect, of any pool)
 * @return 0: taken; -EAGAIN: not now (wait for writable, or for the
 *         reservations to be committed); -EPIPE: the connection cannot
 *         send (failed, or shut down). On an error @p m stays the
 *         caller's.
 */
int tg_tcp_send_chain(struct tg_tcp_conn *c, struct rte_mbuf *m);
/**
 * @param c  a connection
 * @return received bytes not read yet
 */
uint32_t tg_tcp_recv_avail(const struct tg_tcp_conn *c);

/**
 * Shut the sending side: a FIN follows what is queued (RFC 9293 §3.10.4).
 * @param c  a connection
 */
void tg_tcp_shutdown(struct tg_tcp_conn *c);

/**
 * Reset the connection (RST) and release it; @p c is invalid afterwards.
 * @param c  a connection
 */
void tg_tcp_abort(struct tg_tcp_conn *c);

/**
 * The user is done with @p c (invalid afterwards). Queued bytes still go,
 * followed by a FIN, unless received bytes were left unread: then RST
 * (RFC 2525 §2.17). The stack finishes the close on its own.
 * @param c  a connection
 */
void tg_tcp_close(struct tg_tcp_conn *c);

/**
 * @param c  a connection
 * @param u  its new user data
 */
void tg_tcp_set_udata(struct tg_tcp_conn *c, void *u);

/**
 * @param c  a connection
 * @return its user data
 */
void *tg_tcp_udata(const struct tg_tcp_conn *c);

/**
 * @param c     a connection
 * @param info  filled
 */
void tg_tcp_info(const struct tg_tcp_conn *c, struct tg_tcp_info *info);

/**
 * @param t  an instance
 * @return its counters
 */
const struct tg_tcp_stats *tg_tcp_stats(const struct tg_tcp *t);

/**
 * @param t  an instance
 * @return its network instance
 */
struct tg_net *tg_tcp_net(const struct tg_tcp *t);

/**
 * @param s  a state
 * @return its RFC 9293 name ("ESTABLISHED")
 */
const char *tg_tcp_state_name(int s);

#endif
