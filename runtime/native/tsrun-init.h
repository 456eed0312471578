/* What the files of tsrun-init share (see tsrun-init.c): the state of the plan, the helpers the ops use, the ops. */
#ifndef TSRUN_INIT_H
#define TSRUN_INIT_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* ---- tsrun-init.c: the plan ---- */

struct op { char **w; int n; int kind; };

extern int syncfd, rootfd, console_fd, fifo_fd;
extern struct op *ops;
extern int nops, cur; /* cur: index of the op being read or run, for error replies */
extern int ready_sent;
extern struct sigaction old_sigpipe;

/* ---- proto.c: errors and the sync socket ---- */

_Noreturn void fail(int err, const char *fmt, ...);

/* Evaluates a syscall-like expression; a negative result fails the current op with errno and the detail. */
#define TRY(expr, ...) ({ __typeof__(expr) r_ = (expr); if (r_ < 0) fail(errno, __VA_ARGS__); r_; })

void *xcalloc(size_t n, size_t size);
uint64_t num(const char *s, uint64_t max);
int write_all(int fd, const char *p, size_t len);
void send_words(const char *const *w, int n);
char **read_message(int *n);
void send_fd(int sock, int fd, const char *payload);

/* ---- resolve.c: paths inside a root ---- */

enum create { CREATE_NONE, CREATE_DIR, CREATE_FILE };
extern char rerr[PATH_MAX + 64]; /* what failed in the last resolve(), for the error detail */

int resolve_in(const char *scope, const char *path, enum create create);
int parent_in_rootfs(const char *path, char *base);
const char *fdpath(int fd);

/* ---- the ops: each runs with the n words of its message, w[0] its name ---- */

#define OP(name) void op_##name(char **w __attribute__((unused)), int n __attribute__((unused)))

/* ops_parent.c */
OP(setns); OP(unshare_time); OP(console_connect); OP(join_cgroup); OP(clone_into); OP(clone);

/* ops_fs.c */
OP(rootfs); OP(mount); OP(remount); OP(mknod); OP(symlink); OP(copyup_open); OP(copyup); OP(fifo_open);
OP(pivot_root); OP(chroot); OP(chroot_only); OP(mask); OP(readonly);

/* ops_process.c */
OP(unshare); OP(setresgid); OP(setresuid); OP(setsid); OP(keyring); OP(sync); OP(hook); OP(hostname); OP(domainname);
OP(write); OP(console); OP(rlimit); OP(umask); OP(chdir); OP(keepcaps); OP(capbset); OP(setgroups); OP(capset);
OP(ambient); OP(nnp); OP(seccomp); OP(lookpath); OP(ready); OP(parent_death); OP(fifo_wait); OP(cloexec_from); OP(exec);

#endif
