/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dropping root for good (app/tg_privs.h). The order is the classic one:
 * supplementary groups and gids while still root, the uid last, then a
 * check that root cannot come back. glibc applies setgroups, setresgid
 * and setresuid to every thread of the process (they are "setxid"
 * calls), so the control, signal, health and admin threads drop too.
 */
#include "tg_privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tg_log.h"

/** errno after getpwnam/getgrnam found nothing: "" or ": reason". */
static const char *lookup_error(int e, char *buf, size_t cap)
{
	/* these mean "not found" for getpwnam(3) and getgrnam(3) */
	if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
		return "";
	snprintf(buf, cap, " (%s)", strerror(e));
	return buf;
}

tg_result tg_privs_find_user(const char *name, uid_t *uid, gid_t *gid,
			     char *err, size_t cap)
{
	struct passwd *pw;
	char why[96];

	TG_ENSURE(name != NULL && name[0] != '\0', TG_E_INVAL);
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		snprintf(err, cap, "no such user on this system%s (getent passwd %s finds none)",
			 lookup_error(errno, why, sizeof(why)), name);
		return tg_error(TG_E_NOTFOUND);
	}
	if (pw->pw_uid == 0) {
		snprintf(err, cap, "uid 0 is root: name an unprivileged user (e.g. nobody), or leave user out to stay as started");
		return tg_error(TG_E_INVAL);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return TG_OK;
}

tg_result tg_privs_find_group(const char *name, gid_t *gid, char *err,
			      size_t cap)
{
	struct group *gr;
	char why[96];

	TG_ENSURE(name != NULL && name[0] != '\0', TG_E_INVAL);
	errno = 0;
	gr = getgrnam(name);
	if (gr == NULL) {
		snprintf(err, cap, "no such group on this system%s (getent group %s finds none)",
			 lookup_error(errno, why, sizeof(why)), name);
		return tg_error(TG_E_NOTFOUND);
	}
	*gid = gr->gr_gid;
	return TG_OK;
}

tg_result tg_privs_resolve(const char *user, const char *group,
			   struct tg_privs *out, char *err, size_t cap)
{
	gid_t primary;
	int n = TG_PRIVS_MAX_GROUPS;

	TG_ENSURE(out != NULL && err != NULL, TG_E_INVAL);
	if (user == NULL || user[0] == '\0') {
		snprintf(err, cap, "no user to run as");
		return tg_error(TG_E_INVAL);
	}
	memset(out, 0, sizeof(*out));
	TG_GUARD(tg_privs_find_user(user, &out->uid, &primary, err, cap));
	out->gid = primary;
	if (group != NULL && group[0] != '\0')
		TG_GUARD(tg_privs_find_group(group, &out->gid, err, cap));
	/* the user's groups in the group database, and gid itself */
	if (getgrouplist(user, out->gid, out->groups, &n) < 0) {
		snprintf(err, cap, "user '%s' is in %d groups, more than %d",
			 user, n, TG_PRIVS_MAX_GROUPS);
		return tg_error(TG_E_NOSPACE);
	}
	out->n_groups = (unsigned)n;
	return TG_OK;
}

/** True when the process's real, effective and saved ids are @p p's. */
static bool is_now(const struct tg_privs *p)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	return getresuid(&ru, &eu, &su) == 0 && getresgid(&rg, &eg, &sg) == 0 &&
	       ru == p->uid && eu == p->uid && su == p->uid &&
	       rg == p->gid && eg == p->gid && sg == p->gid;
}

tg_result tg_privs_switch(const struct tg_privs *p, char *err, size_t cap)
{
	TG_ENSURE(p != NULL && err != NULL, TG_E_INVAL);
	if (is_now(p))
		return TG_OK; /* started as that user (a service manager's User=) */
	if (geteuid() != 0) {
		snprintf(err, cap, "cannot switch to uid %u gid %u: tlsgate runs as uid %u, not root (start it as root, or leave user out)",
			 (unsigned)p->uid, (unsigned)p->gid, (unsigned)geteuid());
		return tg_error(TG_E_STATE);
	}
	if (setgroups(p->n_groups, p->groups) != 0) {
		snprintf(err, cap, "setgroups: %s", strerror(errno));
		return tg_error(TG_E_IO);
	}
	if (setresgid(p->gid, p->gid, p->gid) != 0) {
		snprintf(err, cap, "setresgid(%u): %s", (unsigned)p->gid,
			 strerror(errno));
		return tg_error(TG_E_IO);
	}
	if (setresuid(p->uid, p->uid, p->uid) != 0) {
		snprintf(err, cap, "setresuid(%u): %s", (unsigned)p->uid,
			 strerror(errno));
		return tg_error(TG_E_IO);
	}
	/* for good: the ids are the new ones, and root does not come back */
	if (!is_now(p) || setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, cap, "uid %u gid %u did not stick or root could be regained",
			 (unsigned)p->uid, (unsigned)p->gid);
		return tg_error(TG_E_IO);
	}
	return TG_OK;
}

tg_result tg_privs_drop(const struct tg_config *cfg)
{
	struct tg_privs p;
	char err[256], where[TG_CFG_PATH + 32];
	tg_result r;

	TG_ENSURE_REF(cfg);
	if (cfg->user[0] == '\0')
		return TG_OK;
	r = tg_privs_resolve(cfg->user, cfg->group, &p, err, sizeof(err));
	if (tg_ok(r))
		r = tg_privs_switch(&p, err, sizeof(err));
	if (tg_failed(r)) {
		TG_ERR("%suser '%s'%s%s%s: %s",
		       tg_config_where(cfg, "user", where, sizeof(where)),
		       cfg->user, cfg->group[0] ? ", group '" : "", cfg->group,
		       cfg->group[0] ? "'" : "", err);
		return r;
	}
	TG_NOTICE("running as user %s (uid %u), group %u, %u supplementary group%s",
		  cfg->user, (unsigned)p.uid, (unsigned)p.gid, p.n_groups,
		  p.n_groups == 1 ? "" : "s");
	return TG_OK;
}
