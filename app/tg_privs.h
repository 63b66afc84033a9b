/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_privs.h
 * Dropping root: tlsgate starts as root (to bind ports below 1024 and read
 * keys only root may read), binds its listeners and loads its keys, then
 * runs as the configured user and group (settings `user`, `group`;
 * flags --user, --group) for good.
 */
#ifndef TG_PRIVS_H
#define TG_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

#include "tg_config.h"
#include "tg_result.h"

/** Most supplementary groups tlsgate keeps for its user. */
#define TG_PRIVS_MAX_GROUPS 256

/** The identity to run as, resolved from the user and group names. */
struct tg_privs {
	uid_t uid;                         /**< the user's */
	gid_t gid;                         /**< the group's, else the user's */
	gid_t groups[TG_PRIVS_MAX_GROUPS]; /**< supplementary groups: the
					        user's (getgrouplist) and gid */
	unsigned n_groups;
};

/**
 * Look a user up (getpwnam).
 * @param name  the user's name
 * @param uid   receives its uid
 * @param gid   receives its primary group
 * @param err   receives the reason on failure
 * @param cap   size of @p err
 * @return TG_OK; TG_E_NOTFOUND when there is no such user; TG_E_INVAL for
 *         uid 0 (dropping to root drops nothing)
 */
TG_MUST_CHECK tg_result tg_privs_find_user(const char *name, uid_t *uid,
					   gid_t *gid, char *err, size_t cap);

/**
 * Look a group up (getgrnam).
 * @param name  the group's name
 * @param gid   receives its gid
 * @param err   receives the reason on failure
 * @param cap   size of @p err
 * @return TG_OK; TG_E_NOTFOUND when there is no such group
 */
TG_MUST_CHECK tg_result tg_privs_find_group(const char *name, gid_t *gid,
					    char *err, size_t cap);

/**
 * Resolve @p user and @p group into the identity to run as.
 * @param user   the user (not "")
 * @param group  the group, or "" for the user's primary group
 * @param out    receives uid, gid and the supplementary groups (the
 *               user's groups from the group database, and gid)
 * @param err    receives the reason on failure
 * @param cap    size of @p err
 * @return TG_OK; TG_E_NOTFOUND (no such user or group); TG_E_INVAL (uid 0,
 *         no user); TG_E_NOSPACE (more than TG_PRIVS_MAX_GROUPS groups)
 */
TG_MUST_CHECK tg_result tg_privs_resolve(const char *user, const char *group,
					 struct tg_privs *out, char *err,
					 size_t cap);

/**
 * Become @p p for good, in every thread of the process: supplementary
 * groups, then real, effective and saved gid, then uid; then check that
 * the ids are the ones asked for and that neither setuid(0) nor
 * seteuid(0) works. A process already running as @p p (uid and gid)
 * has nothing to do; one that is neither that nor root fails.
 * @param p    the identity (tg_privs_resolve)
 * @param err  receives the reason on failure
 * @param cap  size of @p err
 * @return TG_OK; TG_E_STATE when not root and not already @p p; TG_E_IO
 *         when a system call failed or root could be regained
 */
TG_MUST_CHECK tg_result tg_privs_switch(const struct tg_privs *p, char *err,
					size_t cap);

/**
 * Drop to @p cfg's user and group (nothing to do when `user` is unset):
 * tg_privs_resolve() then tg_privs_switch(). Called once every listener
 * is bound and every key loaded (tlsgate's ready hook). Errors are
 * logged with the setting's source (FILE:LINE or --user).
 * @param cfg  the configuration
 * @return TG_OK, or the error of the step that failed (tlsgate stops)
 */
TG_MUST_CHECK tg_result tg_privs_drop(const struct tg_config *cfg);

#endif
