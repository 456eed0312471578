/*
 * tsrun-init: the native stage of tsrun. It executes an exec plan (runtime/src/plan/ops.ts) that TypeScript
 * compiled from config.json and reports failures as (op index, errno). It makes no decisions of its own: see
 * shared/DESIGN.md, "The one place TypeScript cannot run". It exists because between clone() and execve() the
 * process must be single-threaded (user namespaces) and must not run V8.
 *
 * Invocation: tsrun-init <syncfd>
 *   syncfd  an inherited AF_UNIX stream socket shared with tsrun
 *   0,1,2   the container's stdio
 *   3..     fds 3..3+N-1 may be preserved for the container: never touched here
 *
 * Framing (runtime/src/plan/wire.ts): a message is a netstring `<len>:<payload>,` whose payload is a sequence
 * of netstrings, its words. Both directions use it.
 *
 *   tsrun (TS)                     P: tsrun-init (parent stage)        C: container init
 *   spawn P, put P in cgroups
 *   one message per op
 *   (words = opWords(op)),
 *   then ["end"]           ------> read all ops
 *                                  run the ops before `clone` in order
 *                                  clone(flags|SIGCHLD) --------------> wait on the go-pipe
 *                                  if uidMap: write /proc/C/setgroups
 *                                  (if its arg is non-empty), gid_map,
 *                                  uid_map
 *            <------ ["pid", "<host pid of C>"]
 *                                  write the go byte, _exit(0) ------> run the ops after `clone` in order
 *            <------ ["sync", name]                       (op sync)    wait for the reply
 *   ["ok", stateJson] | ["abort"] ------------------------------------> stateJson is kept for `hook` ops;
 *                                                                      abort => _exit(1) quietly
 *            <------ ["ready"]                           (op ready)
 *   ["reparented"] ---------------------------------------------------> (op parent_death, only when planned:
 *   (once P has exited)                                                 PR_SET_PDEATHSIG SIGKILL)
 *                                                                      fifo_wait blocks until `tsrun start`
 *                                                                      opens the fifo ... execve
 *
 *   any failure:  <------ ["error", "<op index>", "<errno>", "<detail>"], then _exit(1)
 *
 * The op index counts every op of the plan from 0, P's and C's alike; errno 0 means the failure was not a
 * syscall's (a hook's exit status, a plan without exec). After ["ready"] tsrun may be gone, so errors go to
 * fd 2 as `tsrun-init: <op>: <detail>: <strerror>` and the exit status is 127 (exec ENOENT), 126 (exec
 * EACCES) or 1. A malformed message or an unknown op is an error reply; EOF from tsrun is a quiet _exit(1).
 *
 * Files: this one holds the plan loop (read every op, check it against the op table, run them in order);
 * proto.c the sync socket's framing and the failure reports (fail, TRY); resolve.c paths inside a root; the ops
 * are in ops_parent.c (before and at clone), ops_fs.c (the rootfs and mounts) and ops_process.c (ids, hooks,
 * console, limits, capabilities, seccomp, exec). tsrun-init.h declares what they share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tsrun-init.h"

int syncfd = -1, rootfd = -1, console_fd = -1, fifo_fd = -1;
struct op *ops;
int nops, cur; /* cur: index of the op being read or run, for error replies */
int ready_sent;
struct sigaction old_sigpipe;

/* ---- the plan ---- */

static const struct {
	const char *name;
	void (*run)(char **w, int n);
	int min, max; /* number of words, the name included; max -1: any */
} table[] = {
	{ "setns", op_setns, 3, 3 }, { "unshare_time", op_unshare_time, 2, 2 },
	{ "console_connect", op_console_connect, 2, 2 }, { "clone", op_clone, 5, 5 },
	{ "join_cgroup", op_join_cgroup, 2, 2 }, { "clone_into", op_clone_into, 2, 2 },
	{ "unshare", op_unshare, 2, 2 },
	{ "setresgid", op_setresgid, 2, 2 }, { "setresuid", op_setresuid, 2, 2 },
	{ "setsid", op_setsid, 1, 1 }, { "keyring", op_keyring, 2, 2 },
	{ "rootfs", op_rootfs, 2, 2 }, { "mount", op_mount, 8, 8 },
	{ "remount", op_remount, 4, 4 }, { "mknod", op_mknod, 7, 7 },
	{ "copyup_open", op_copyup_open, 2, 2 }, { "copyup", op_copyup, 2, 2 },
	{ "symlink", op_symlink, 3, 3 }, { "fifo_open", op_fifo_open, 2, 2 },
	{ "sync", op_sync, 2, 2 }, { "hook", op_hook, 5, -1 },
	{ "pivot_root", op_pivot_root, 1, 1 }, { "chroot", op_chroot, 1, 1 },
	{ "chroot_only", op_chroot_only, 1, 1 },
	{ "mask", op_mask, 2, 2 }, { "readonly", op_readonly, 2, 2 },
	{ "hostname", op_hostname, 2, 2 }, { "domainname", op_domainname, 2, 2 },
	{ "write", op_write, 3, 3 }, { "console", op_console, 3, 3 },
	{ "rlimit", op_rlimit, 4, 4 }, { "umask", op_umask, 2, 2 },
	{ "chdir", op_chdir, 2, 2 }, { "keepcaps", op_keepcaps, 2, 2 },
	{ "capbset", op_capbset, 2, 2 }, { "setgroups", op_setgroups, 1, -1 },
	{ "capset", op_capset, 4, 4 }, { "ambient", op_ambient, 2, 2 },
	{ "nnp", op_nnp, 1, 1 }, { "seccomp", op_seccomp, 3, 3 },
	{ "lookpath", op_lookpath, 3, 3 }, { "ready", op_ready, 1, 1 }, { "parent_death", op_parent_death, 1, 1 },
	{ "fifo_wait", op_fifo_wait, 1, 1 }, { "cloexec_from", op_cloexec_from, 2, 2 },
	{ "exec", op_exec, 2, -1 },
};

static void read_plan(void)
{
	for (int cap = 0;;) {
		int n;
		cur = nops;
		char **w = read_message(&n);
		if (n == 1 && !strcmp(w[0], "end"))
			return;
		size_t k = 0;
		while (k < sizeof table / sizeof table[0] && strcmp(table[k].name, w[0]))
			k++;
		if (k == sizeof table / sizeof table[0])
			fail(EINVAL, "unknown op \"%s\"", w[0]);
		if (n < table[k].min || (table[k].max >= 0 && n > table[k].max))
			fail(EINVAL, "op \"%s\" with %d words", w[0], n);
		if (nops == cap && !(ops = realloc(ops, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *ops)))
			fail(ENOMEM, "malloc");
		ops[nops++] = (struct op){ w, n, (int)k };
	}
}

int main(int argc, char **argv)
{
	char *end = NULL;
	long fd = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	if (argc != 2 || !*argv[1] || *end || fd < 3 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0) {
		fprintf(stderr, "usage: tsrun-init SYNCFD (the native stage of tsrun, not meant to be run by hand)\n");
		return 1;
	}
	syncfd = (int)fd;
	fcntl(syncfd, F_SETFD, FD_CLOEXEC); /* our channel alone: never leak it into hooks or the container */
	sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, &old_sigpipe);
	read_plan();
	for (cur = 0; cur < nops; cur++)
		table[ops[cur].kind].run(ops[cur].w, ops[cur].n);
	cur = nops ? nops - 1 : 0;
	fail(0, "plan ended without exec");
}
