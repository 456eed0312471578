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
 *                                                                      fifo_wait blocks until `tsrun start`
 *                                                                      opens the fifo ... execve
 *
 *   any failure:  <------ ["error", "<op index>", "<errno>", "<detail>"], then _exit(1)
 *
 * The op index counts every op of the plan from 0, P's and C's alike; errno 0 means the failure was not a
 * syscall's (a hook's exit status, a plan without exec). After ["ready"] tsrun may be gone, so errors go to
 * fd 2 as `tsrun-init: <op>: <detail>: <strerror>` and the exit status is 127 (exec ENOENT), 126 (exec
 * EACCES) or 1. A malformed message or an unknown op is an error reply; EOF from tsrun is a quiet _exit(1).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#define MAX_MESSAGE (64u << 20)
#define HOOK_OUTPUT 512

struct op { char **w; int n; int kind; };

static int syncfd = -1, rootfd = -1, console_fd = -1, fifo_fd = -1;
static struct op *ops;
static int nops, cur; /* cur: index of the op being read or run, for error replies */
static int ready_sent;
static const char *state = ""; /* the last stateJson from a sync reply, for hooks */
static char exec_path[PATH_MAX]; /* set by lookpath */
static struct sigaction old_sigpipe;

/* ---- errors ---- */

static void send_words(const char *const *w, int n);

static _Noreturn void fail(int err, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (!ready_sent) {
		char idx[16], en[16];
		snprintf(idx, sizeof idx, "%d", cur);
		snprintf(en, sizeof en, "%d", err);
		const char *w[] = { "error", idx, en, detail };
		send_words(w, 4);
		_exit(1);
	}
	const char *name = cur < nops ? ops[cur].w[0] : "plan";
	dprintf(2, "tsrun-init: %s: %s%s%s\n", name, detail, err ? ": " : "", err ? strerror(err) : "");
	int execish = !strcmp(name, "exec") || !strcmp(name, "lookpath");
	_exit(execish && err == ENOENT ? 127 : execish && err == EACCES ? 126 : 1);
}

/* Evaluates a syscall-like expression; a negative result fails the current op with errno and the detail. */
#define TRY(expr, ...) ({ __typeof__(expr) r_ = (expr); if (r_ < 0) fail(errno, __VA_ARGS__); r_; })

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		fail(ENOMEM, "malloc");
	return p;
}

/* Parses a decimal number no larger than max; anything else fails the current op. */
static uint64_t num(const char *s, uint64_t max)
{
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			fail(EINVAL, "bad number \"%s\"", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!*s)
		fail(EINVAL, "bad number \"\"");
	if (v > max)
		fail(EINVAL, "number %s out of range", s);
	return v;
}

/* ---- the sync socket ---- */

static void wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EAGAIN)
			wait_fd(fd, POLLOUT);
		else if (k < 0 && errno != EINTR)
			return -1;
		else if (k > 0)
			p += k, len -= (size_t)k;
	}
	return 0;
}

static void send_words(const char *const *w, int n)
{
	size_t body = 0;
	for (int i = 0; i < n; i++)
		body += (size_t)snprintf(NULL, 0, "%zu:%s,", strlen(w[i]), w[i]);
	char *msg = malloc(body + 32), *p = msg;
	if (!msg)
		_exit(1);
	p += sprintf(p, "%zu:", body);
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%zu:%s,", strlen(w[i]), w[i]);
	*p++ = ',';
	if (write_all(syncfd, msg, (size_t)(p - msg)) < 0)
		_exit(1); /* tsrun is gone: nobody is left to tell */
	free(msg);
}

static struct { char buf[65536]; size_t at, end; } rd;

/* Makes sure rd holds unread bytes; EOF means tsrun went away, which ends this process quietly. */
static void rd_fill(void)
{
	while (rd.at == rd.end) {
		ssize_t k = read(syncfd, rd.buf, sizeof rd.buf);
		if (k == 0)
			_exit(1);
		if (k < 0 && errno == EAGAIN)
			wait_fd(syncfd, POLLIN);
		else if (k < 0 && errno != EINTR)
			fail(errno, "read sync socket");
		else if (k > 0)
			rd.at = 0, rd.end = (size_t)k;
	}
}

static int rd_byte(void)
{
	rd_fill();
	return (unsigned char)rd.buf[rd.at++];
}

/* Splits the netstring at p[*at] off p[..len) in place (its comma becomes NUL); NULL when malformed. */
static char *take_word(char *p, size_t len, size_t *at)
{
	size_t v = 0, i = *at;
	for (; i < len && p[i] != ':'; i++) {
		if (p[i] < '0' || p[i] > '9' || i - *at >= 9)
			return NULL;
		v = v * 10 + (size_t)(p[i] - '0');
	}
	if (i == *at || i >= len || v >= len - i - 1 || p[i + 1 + v] != ',' || memchr(p + i + 1, 0, v))
		return NULL;
	p[i + 1 + v] = 0;
	*at = i + 2 + v;
	return p + i + 1;
}

/* Reads one message and returns its words, NULL-terminated, *n of them. */
static char **read_message(int *n)
{
	size_t len = 0;
	int c, digits = 0;
	while ((c = rd_byte()) != ':') {
		if (c < '0' || c > '9' || ++digits > 9)
			fail(EPROTO, "malformed message from tsrun");
		len = len * 10 + (size_t)(c - '0');
	}
	if (!digits || len > MAX_MESSAGE)
		fail(EPROTO, "malformed message from tsrun");
	char *p = xcalloc(len + 1, 1);
	char **w = xcalloc(len / 3 + 2, sizeof *w); /* a word takes at least 3 bytes */
	for (size_t got = 0, k; got < len; got += k, rd.at += k) {
		rd_fill();
		k = rd.end - rd.at < len - got ? rd.end - rd.at : len - got;
		memcpy(p + got, rd.buf + rd.at, k);
	}
	if (rd_byte() != ',')
		fail(EPROTO, "malformed message from tsrun");
	size_t at = 0;
	for (*n = 0; at < len; (*n)++)
		if (!(w[*n] = take_word(p, len, &at)))
			fail(EPROTO, "malformed word in message from tsrun");
	if (*n == 0)
		fail(EPROTO, "empty message from tsrun");
	return w;
}

/* ---- paths inside a root ---- */

enum create { CREATE_NONE, CREATE_DIR, CREATE_FILE };
static char rerr[PATH_MAX + 64]; /* what failed in the last resolve(), for the error detail */

static int resolve_error(int err, const char *fmt, const char *path)
{
	snprintf(rerr, sizeof rerr, fmt, path);
	errno = err;
	return -1;
}

static int open_in(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_PATH | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof how);
	return fd < 0 ? resolve_error(errno, "openat2 \"%s\"", path) : fd;
}

/*
 * Returns an O_PATH fd for path inside root. Symlinks are expanded here, one component at a time, so that a
 * dangling one (evil -> /tmp/outside) is created inside the root as well; every open is
 * openat2(RESOLVE_IN_ROOT) from root, so nothing steps outside it even if the tree changes under us.
 * `done` never holds a symlink, which is what makes the lexical ".." right.
 */
static int resolve(int root, const char *path, enum create create)
{
	char done[PATH_MAX] = "", rest[PATH_MAX], link[PATH_MAX];
	int links = 0;
	if (strlen(path) >= sizeof rest)
		return resolve_error(ENAMETOOLONG, "path \"%s\"", path);
	strcpy(rest, path);
	for (;;) {
		char *c = rest + strspn(rest, "/"), *end = c + strcspn(c, "/"), *next = end + strspn(end, "/");
		if (!*c)
			return open_in(root, done, 0);
		int last = !*next;
		size_t dl = strlen(done);
		*end = 0;
		if (!strcmp(c, "..")) {
			char *slash = strrchr(done, '/');
			*(slash ? slash : done) = 0;
		} else if (strcmp(c, ".")) {
			if (dl + 1 + strlen(c) >= sizeof done)
				return resolve_error(ENAMETOOLONG, "path \"%s\"", path);
			sprintf(done + dl, "%s%s", dl ? "/" : "", c);
			int fd = open_in(root, done, O_NOFOLLOW);
			if (fd < 0 && errno == ENOENT && create != CREATE_NONE) {
				done[dl] = 0;
				int dir = open_in(root, done, 0);
				if (dir < 0)
					return -1;
				int r = last && create == CREATE_FILE
					? openat(dir, c, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)
					: mkdirat(dir, c, 0755);
				int e = errno;
				close(dir);
				if (r >= 0 && last && create == CREATE_FILE)
					close(r);
				sprintf(done + dl, "%s%s", dl ? "/" : "", c);
				if (r < 0 && e != EEXIST)
					return resolve_error(e, "create \"%s\"", done);
				fd = open_in(root, done, O_NOFOLLOW);
			}
			if (fd < 0)
				return -1;
			struct stat st;
			int r = fstat(fd, &st), e = errno;
			if (r < 0)
				return close(fd), resolve_error(e, "fstat \"%s\"", done);
			if (S_ISLNK(st.st_mode)) {
				ssize_t ll = readlinkat(fd, "", link, sizeof link - 1);
				e = errno;
				close(fd);
				if (ll < 0)
					return resolve_error(e, "readlink \"%s\"", done);
				if (++links > 40)
					return resolve_error(ELOOP, "openat2 \"%s\"", path);
				if ((size_t)ll + 2 + strlen(next) > sizeof rest)
					return resolve_error(ENAMETOOLONG, "path \"%s\"", path);
				/* rest = link + "/" + next; an absolute link starts again from the root */
				done[link[0] == '/' ? 0 : dl] = 0;
				memmove(rest + ll + 1, next, strlen(next) + 1);
				memcpy(rest, link, (size_t)ll);
				rest[ll] = '/';
				continue;
			}
			close(fd);
		}
		memmove(rest, next, strlen(next) + 1);
	}
}

/*
 * Resolves path in a scope: "rootfs" inside the rootfs fd; "host" and "container" inside "/" of this process,
 * which is the host's before pivot_root and the container's after it.
 */
static int resolve_in(const char *scope, const char *path, enum create create)
{
	int root;
	if (!strcmp(scope, "rootfs")) {
		if (rootfd < 0)
			fail(EBADF, "no rootfs op before rootfs path \"%s\"", path);
		root = TRY(fcntl(rootfd, F_DUPFD_CLOEXEC, 0), "dup rootfs fd");
	} else if (!strcmp(scope, "host") || !strcmp(scope, "container")) {
		root = TRY(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), "open \"/\"");
	} else {
		fail(EINVAL, "unknown scope \"%s\"", scope);
	}
	int fd = resolve(root, path, create), e = errno;
	close(root);
	errno = e;
	return fd;
}

/* Opens the parent of path inside the rootfs, creating it as needed, and copies the last component to base. */
static int parent_in_rootfs(const char *path, char *base)
{
	char dir[PATH_MAX];
	if (strlen(path) >= sizeof dir)
		fail(ENAMETOOLONG, "path \"%s\"", path);
	strcpy(dir, path);
	size_t l = strlen(dir);
	while (l > 1 && dir[l - 1] == '/')
		dir[--l] = 0;
	char *slash = strrchr(dir, '/');
	strcpy(base, slash ? slash + 1 : dir);
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		fail(EINVAL, "path \"%s\" has no last component", path);
	*(slash ? slash + 1 : dir) = 0;
	int fd = resolve_in("rootfs", dir, CREATE_DIR);
	if (fd < 0)
		fail(errno, "%s", rerr);
	return fd;
}

/* mount(2) takes paths, so a resolved fd is passed as its magic link. */
static const char *fdpath(int fd)
{
	static char p[32];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return p;
}

/* ---- ops: parent stage ---- */

#define OP(name) static void op_##name(char **w __attribute__((unused)), int n __attribute__((unused)))

OP(setns)
{
	int fd = TRY(open(w[1], O_RDONLY | O_CLOEXEC), "open \"%s\"", w[1]);
	TRY(setns(fd, (int)num(w[2], INT_MAX)), "setns \"%s\"", w[1]);
	close(fd);
}

OP(unshare_time)
{
	TRY(unshare(CLONE_NEWTIME), "unshare CLONE_NEWTIME");
	int fd = TRY(open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC), "open \"/proc/self/timens_offsets\"");
	/* the kernel takes the whole table in one write() */
	if (TRY(write(fd, w[1], strlen(w[1])), "write \"/proc/self/timens_offsets\"") != (ssize_t)strlen(w[1]))
		fail(EIO, "short write \"/proc/self/timens_offsets\"");
	close(fd);
}

OP(console_connect)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(w[1]) >= sizeof a.sun_path)
		fail(ENAMETOOLONG, "console socket \"%s\"", w[1]);
	strcpy(a.sun_path, w[1]);
	console_fd = TRY(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket AF_UNIX");
	TRY(connect(console_fd, (struct sockaddr *)&a, sizeof a), "connect \"%s\"", w[1]);
}

static void write_child_file(pid_t pid, const char *name, const char *data)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t k = fd < 0 ? -1 : write(fd, data, strlen(data));
	if (k != (ssize_t)strlen(data)) {
		int e = k < 0 ? errno : EIO;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail(e, "%s \"%s\"", fd < 0 ? "open" : "write", path);
	}
	close(fd);
}

OP(clone)
{
	unsigned long flags = num(w[1], ULONG_MAX);
	int go[2];
	TRY(pipe2(go, O_CLOEXEC), "pipe2");
	/* a raw clone without a stack has fork semantics, plus namespace flags (CLONE_NEWUSER wants one thread) */
	pid_t pid = (pid_t)TRY(syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0), "clone");
	if (pid == 0) {
		char b;
		ssize_t k;
		close(go[1]);
		while ((k = read(go[0], &b, 1)) < 0 && errno == EINTR)
			;
		if (k != 1)
			_exit(1); /* P failed and has reported it */
		close(go[0]);
		return;
	}
	close(go[0]);
	if (*w[2]) {
		if (*w[4])
			write_child_file(pid, "setgroups", w[4]);
		if (*w[3])
			write_child_file(pid, "gid_map", w[3]);
		write_child_file(pid, "uid_map", w[2]);
	}
	char ps[16];
	snprintf(ps, sizeof ps, "%d", pid);
	const char *m[] = { "pid", ps };
	send_words(m, 2);
	if (write(go[1], "g", 1) != 1)
		fail(errno, "release container init %d", pid);
	_exit(0);
}

/* ---- ops: container stage ---- */

OP(setresgid)
{
	gid_t g = (gid_t)num(w[1], UINT32_MAX);
	TRY(syscall(SYS_setresgid, g, g, g), "setresgid %u", g);
}

OP(setresuid)
{
	uid_t u = (uid_t)num(w[1], UINT32_MAX);
	TRY(syscall(SYS_setresuid, u, u, u), "setresuid %u", u);
}

OP(setsid)
{
	TRY(setsid(), "setsid");
}

OP(keyring)
{
	/* an empty name joins a new anonymous session keyring */
	TRY(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, *w[1] ? w[1] : NULL), "keyctl JOIN_SESSION_KEYRING \"%s\"", w[1]);
}

OP(rootfs)
{
	if (rootfd >= 0)
		close(rootfd);
	rootfd = TRY(open(w[1], O_PATH | O_DIRECTORY | O_CLOEXEC), "open \"%s\"", w[1]);
}

OP(mount)
{
	const char *src = w[2], *target = w[3], *fstype = w[4], *data = w[6], *create = w[7];
	unsigned long flags = num(w[5], ULONG_MAX);
	enum create c = !strcmp(create, "dir") ? CREATE_DIR : !strcmp(create, "file") ? CREATE_FILE : CREATE_NONE;
	if (c == CREATE_NONE && strcmp(create, "none"))
		fail(EINVAL, "unknown create \"%s\"", create);
	int fd = resolve_in(w[1], target, c);
	if (fd < 0)
		fail(errno, "%s", rerr);
	TRY(mount(*src ? src : NULL, fdpath(fd), *fstype ? fstype : NULL, flags, *data ? data : NULL),
	    "mount \"%s\" on \"%s\"", *src ? src : fstype, target);
	close(fd);
}

static void remount(const char *scope, const char *target, unsigned long flags)
{
	static const struct { unsigned long st, ms; } keep[] = {
		{ ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	int fd = resolve_in(scope, target, CREATE_NONE);
	if (fd < 0)
		fail(errno, "%s", rerr);
	struct statvfs sv;
	TRY(fstatvfs(fd, &sv), "statvfs \"%s\"", target);
	/* in a user namespace the flags locked on a mount cannot be cleared, so carry all of them over */
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	TRY(mount(NULL, fdpath(fd), NULL, MS_REMOUNT | MS_BIND | flags, NULL), "remount \"%s\"", target);
	close(fd);
}

OP(remount)
{
	remount(w[1], w[2], num(w[3], ULONG_MAX));
}

OP(mknod)
{
	char base[PATH_MAX];
	mode_t mode = (mode_t)num(w[2], UINT32_MAX);
	dev_t dev = makedev((unsigned)num(w[3], UINT32_MAX), (unsigned)num(w[4], UINT32_MAX));
	uid_t uid = (uid_t)num(w[5], UINT32_MAX);
	gid_t gid = (gid_t)num(w[6], UINT32_MAX);
	int dir = parent_in_rootfs(w[1], base);
	if (mknodat(dir, base, mode, dev) < 0) {
		if (errno != EEXIST)
			fail(errno, "mknod \"%s\"", w[1]);
		TRY(unlinkat(dir, base, 0), "unlink \"%s\"", w[1]);
		TRY(mknodat(dir, base, mode, dev), "mknod \"%s\"", w[1]);
	}
	TRY(fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW), "chown \"%s\"", w[1]);
	close(dir);
}

OP(symlink)
{
	char base[PATH_MAX];
	int dir = parent_in_rootfs(w[2], base);
	if (symlinkat(w[1], dir, base) < 0 && errno != EEXIST)
		fail(errno, "symlink \"%s\" -> \"%s\"", w[2], w[1]);
	close(dir);
}

/*
 * tmpcopyup: copyup_open keeps the mount target open before a tmpfs covers it (an fd opened before a mount still
 * sees the directory underneath); copyup copies from it into the new tmpfs root. Each name comes from readdir of
 * a directory fd and is used only with *at() calls relative to that fd or its twin in the copy, never followed
 * when it is a symlink, so the copy stays inside the two trees whatever the rootfs holds. What is copied follows
 * runc's copy (mrunalp/fileutils CopyDirectory): owner, then mode, of every entry but the root (the tmpfs root
 * keeps its mount options); devices are recreated with mknod, fifos too. Unlike runc's copy, access and
 * modification times are kept as well. Sockets are skipped: a socket file is dead without its listener.
 */
static int copyup_fd = -1;
static char copyup_target[PATH_MAX];
static char cpath[PATH_MAX]; /* the entry being copied, as a rootfs path, for error details */
static size_t cplen;

static _Noreturn void copy_fail(int err, const char *what)
{
	fail(err, "%s \"%s\"", what, cpath);
}

/* Appends "/name" to cpath (cut short at its end, it only names things) and returns the length to restore. */
static size_t cpath_push(const char *name)
{
	size_t mark = cplen;
	int k = snprintf(cpath + cplen, sizeof cpath - cplen, "%s%s", cplen && cpath[cplen - 1] == '/' ? "" : "/", name);
	if (k > 0)
		cplen = cplen + (size_t)k < sizeof cpath ? cplen + (size_t)k : sizeof cpath - 1;
	return mark;
}

/* Owner, then mode (chown clears set-id bits), then times (the copy itself changed them) of an open copy. */
static void copy_meta_fd(int fd, const struct stat *st)
{
	const struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (fchown(fd, st->st_uid, st->st_gid) < 0)
		copy_fail(errno, "chown");
	if (fchmod(fd, st->st_mode & 07777) < 0)
		copy_fail(errno, "chmod");
	if (futimens(fd, times) < 0)
		copy_fail(errno, "set times of");
}

static void copy_tree(int src, int dst);

static void copy_data(int s, int d)
{
	static char buf[65536];
	for (;;) {
		ssize_t k = read(s, buf, sizeof buf);
		if (k == 0)
			return;
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			copy_fail(errno, "read");
		if (write_all(d, buf, (size_t)k) < 0)
			copy_fail(errno, "write");
	}
}

static void copy_entry(int src, int dst, const char *name)
{
	struct stat st;
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		copy_fail(errno, "stat");
	const struct timespec times[2] = { st.st_atim, st.st_mtim };
	int s, d;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		if ((s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			copy_fail(errno, "open");
		if (fstat(s, &st) < 0) /* what was opened is what gets copied */
			copy_fail(errno, "stat");
		if (mkdirat(dst, name, 0700) < 0)
			copy_fail(errno, "mkdir");
		if ((d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			copy_fail(errno, "open copy of");
		copy_tree(s, d);
		copy_meta_fd(d, &st);
		close(d);
		return;
	case S_IFREG:
		/* O_NONBLOCK: should the entry have become a fifo since the stat, the open must not wait for a writer */
		if ((s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
			copy_fail(errno, "open");
		if (fstat(s, &st) < 0)
			copy_fail(errno, "stat");
		if (!S_ISREG(st.st_mode))
			copy_fail(EAGAIN, "changed while copying");
		if ((d = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
			copy_fail(errno, "create copy of");
		copy_data(s, d);
		copy_meta_fd(d, &st);
		close(s);
		if (close(d) < 0)
			copy_fail(errno, "write");
		return;
	case S_IFLNK: {
		static char link[PATH_MAX]; /* static: this frame recurses for directories */
		ssize_t ll = readlinkat(src, name, link, sizeof link);
		if (ll < 0 || ll == (ssize_t)sizeof link)
			copy_fail(ll < 0 ? errno : ENAMETOOLONG, "readlink");
		link[ll] = 0;
		if (symlinkat(link, dst, name) < 0)
			copy_fail(errno, "symlink");
		break; /* a symlink's mode means nothing: runc does not set it either */
	}
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (mknodat(dst, name, st.st_mode & (S_IFMT | 0777), st.st_rdev) < 0)
			copy_fail(errno, "mknod");
		if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			copy_fail(errno, "chown");
		if (fchmodat(dst, name, st.st_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
			copy_fail(errno, "chmod");
		if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0)
			copy_fail(errno, "set times of");
		return;
	default: /* S_IFSOCK */
		return;
	}
	if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		copy_fail(errno, "chown");
	if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		copy_fail(errno, "set times of");
}

/* Copies the entries of directory src (an O_RDONLY fd, closed here) into directory dst. */
static void copy_tree(int src, int dst)
{
	DIR *dir = fdopendir(src);
	if (!dir)
		copy_fail(errno, "opendir");
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(dir);
		if (!e && errno)
			copy_fail(errno, "readdir");
		if (!e)
			break;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		size_t mark = cpath_push(e->d_name);
		copy_entry(dirfd(dir), dst, e->d_name);
		cpath[cplen = mark] = 0;
	}
	closedir(dir);
}

OP(copyup_open)
{
	if (copyup_fd >= 0)
		fail(EBUSY, "copyup_open \"%s\" while \"%s\" is open", w[1], copyup_target);
	if (strlen(w[1]) >= sizeof copyup_target)
		fail(ENAMETOOLONG, "path \"%s\"", w[1]);
	int fd = resolve_in("rootfs", w[1], CREATE_DIR);
	if (fd < 0)
		fail(errno, "%s", rerr);
	/* readable (O_PATH cannot be listed), and opened through the resolved fd: "." crosses no mount */
	copyup_fd = TRY(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open \"%s\"", w[1]);
	close(fd);
	strcpy(copyup_target, w[1]);
}

OP(copyup)
{
	if (copyup_fd < 0 || strcmp(w[1], copyup_target))
		fail(EINVAL, "copyup \"%s\" without copyup_open", w[1]);
	int fd = resolve_in("rootfs", w[1], CREATE_NONE);
	if (fd < 0)
		fail(errno, "%s", rerr);
	int dst = TRY(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open \"%s\"", w[1]);
	close(fd);
	struct stat s, d;
	TRY(fstat(copyup_fd, &s), "stat \"%s\"", w[1]);
	TRY(fstat(dst, &d), "stat \"%s\"", w[1]);
	if (s.st_dev == d.st_dev && s.st_ino == d.st_ino)
		fail(EINVAL, "copyup \"%s\": nothing is mounted on it", w[1]);
	snprintf(cpath, sizeof cpath, "%s", w[1]);
	cplen = strlen(cpath);
	int src = copyup_fd;
	copyup_fd = -1;
	copy_tree(src, dst);
	close(dst);
	copyup_target[0] = 0;
}

OP(fifo_open)
{
	fifo_fd = TRY(open(w[1], O_PATH | O_CLOEXEC), "open \"%s\"", w[1]);
}

OP(sync)
{
	const char *m[] = { "sync", w[1] };
	send_words(m, 2);
	int rn;
	char **r = read_message(&rn);
	if (rn == 1 && !strcmp(r[0], "abort"))
		_exit(1);
	if (rn != 2 || strcmp(r[0], "ok"))
		fail(EPROTO, "unexpected reply \"%s\" to sync \"%s\"", r[0], w[1]);
	state = r[1];
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static _Noreturn void hook_child(int in, int out, const char *path, char **argv, char **envp)
{
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	syscall(SYS_close_range, 3, ~0U, 0);
	sigaction(SIGPIPE, &old_sigpipe, NULL);
	execve(path, argv, envp);
	dprintf(2, "exec: %s\n", strerror(errno));
	_exit(127);
}

OP(hook)
{
	const char *kind = w[1], *path = w[2];
	long timeout = (long)num(w[3], INT_MAX / 1000);
	int nargs = (int)num(w[4], (uint64_t)(n - 5)), nenv = n - 5 - nargs;
	char **argv = xcalloc((size_t)nargs + 2, sizeof *argv), **envp = xcalloc((size_t)nenv + 1, sizeof *envp);
	if (nargs)
		memcpy(argv, w + 5, (size_t)nargs * sizeof *argv);
	else
		argv[0] = w[2];
	memcpy(envp, w + 5 + nargs, (size_t)nenv * sizeof *envp);
	int in[2], out[2];
	TRY(pipe2(in, O_CLOEXEC), "pipe2");
	TRY(pipe2(out, O_CLOEXEC), "pipe2");
	pid_t pid = TRY(fork(), "fork for hook %s \"%s\"", kind, path);
	if (pid == 0)
		hook_child(in[0], out[1], path, argv, envp);
	close(in[0]);
	close(out[1]);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0 || fcntl(in[1], F_SETFL, O_NONBLOCK) < 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail(e, "pidfd_open hook %s \"%s\"", kind, path);
	}
	char output[HOOK_OUTPUT + 1], chunk[4096];
	size_t olen = 0, off = 0, slen = strlen(state);
	long deadline = now_ms() + timeout * 1000;
	if (!slen)
		close(in[1]), in[1] = -1;
	for (int exited = 0; !exited;) {
		struct pollfd p[3] = { { pfd, POLLIN, 0 }, { out[0], POLLIN, 0 }, { in[1], POLLOUT, 0 } };
		long left = timeout ? deadline - now_ms() : -1;
		if (timeout && left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail(ETIMEDOUT, "hook %s \"%s\" timed out after %lds", kind, path, timeout);
		}
		if (poll(p, 3, (int)left) < 0 && errno != EINTR)
			fail(errno, "poll hook %s \"%s\"", kind, path);
		if (p[2].revents) {
			ssize_t k = write(in[1], state + off, slen - off);
			if (k > 0)
				off += (size_t)k;
			if ((k < 0 && errno != EAGAIN && errno != EINTR) || off == slen)
				close(in[1]), in[1] = -1; /* EPIPE too: a hook need not read its stdin */
		}
		exited = p[0].revents != 0;
		/* after the exit read only what is there already: the hook's children may hold the pipe open */
		for (int i = 0; out[0] >= 0 && (p[1].revents || exited) && i < (exited ? 16 : 1); i++) {
			ssize_t k = read(out[0], chunk, sizeof chunk);
			if (k == 0)
				close(out[0]), out[0] = -1;
			if (k <= 0)
				break;
			size_t take = (size_t)k < HOOK_OUTPUT - olen ? (size_t)k : HOOK_OUTPUT - olen;
			memcpy(output + olen, chunk, take);
			olen += take;
		}
	}
	int st;
	TRY(waitpid(pid, &st, 0), "wait for hook %s \"%s\"", kind, path);
	output[olen] = 0;
	output[strcspn(output, "\n")] = 0;
	const char *sep = *output ? ": " : "";
	if (WIFSIGNALED(st))
		fail(0, "hook %s \"%s\" was killed by signal %d%s%s", kind, path, WTERMSIG(st), sep, output);
	if (WEXITSTATUS(st))
		fail(0, "hook %s \"%s\" exited with status %d%s%s", kind, path, WEXITSTATUS(st), sep, output);
	close(pfd);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	free(argv);
	free(envp);
}

OP(pivot_root)
{
	TRY(fchdir(rootfd), "fchdir rootfs");
	TRY(syscall(SYS_pivot_root, ".", "."), "pivot_root \".\" \".\"");
	/* the old root now sits under the new one at "."; keep its unmount from propagating to the host */
	TRY(mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL), "mount old root rslave");
	TRY(umount2(".", MNT_DETACH), "umount2 old root");
	TRY(chdir("/"), "chdir \"/\"");
}

OP(chroot)
{
	TRY(fchdir(rootfd), "fchdir rootfs");
	TRY(mount(".", "/", NULL, MS_MOVE, NULL), "mount rootfs MS_MOVE on \"/\"");
	TRY(chroot("."), "chroot \".\"");
	TRY(chdir("/"), "chdir \"/\"");
}

/* Without a mount namespace the rootfs must not be moved over the host's "/": change root only. */
OP(chroot_only)
{
	TRY(fchdir(rootfd), "fchdir rootfs");
	TRY(chroot("."), "chroot \".\"");
	TRY(chdir("/"), "chdir \"/\"");
}

OP(mask)
{
	int fd = resolve_in("container", w[1], CREATE_NONE);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		fail(errno, "%s", rerr);
	struct stat st;
	TRY(fstat(fd, &st), "fstat \"%s\"", w[1]);
	if (S_ISDIR(st.st_mode))
		TRY(mount("tmpfs", fdpath(fd), "tmpfs", MS_RDONLY, NULL), "mount \"tmpfs\" on \"%s\"", w[1]);
	else
		TRY(mount("/dev/null", fdpath(fd), NULL, MS_BIND, NULL), "mount \"/dev/null\" on \"%s\"", w[1]);
	close(fd);
}

OP(readonly)
{
	int fd = resolve_in("container", w[1], CREATE_NONE);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		fail(errno, "%s", rerr);
	char p[32];
	snprintf(p, sizeof p, "%s", fdpath(fd));
	TRY(mount(p, p, NULL, MS_BIND | MS_REC, NULL), "mount \"%s\" on itself", w[1]);
	close(fd);
	remount("container", w[1], MS_RDONLY); /* resolves again: the old fd is under the new mount */
}

OP(hostname)
{
	TRY(sethostname(w[1], strlen(w[1])), "sethostname \"%s\"", w[1]);
}

OP(domainname)
{
	TRY(setdomainname(w[1], strlen(w[1])), "setdomainname \"%s\"", w[1]);
}

OP(write)
{
	int fd = TRY(open(w[1], O_WRONLY | O_CLOEXEC), "open \"%s\"", w[1]);
	TRY(write_all(fd, w[2], strlen(w[2])), "write \"%s\"", w[1]);
	TRY(close(fd), "close \"%s\"", w[1]);
}

static void send_fd(int sock, int fd, const char *payload)
{
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct iovec iov = { .iov_base = (char *)payload, .iov_len = strlen(payload) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	*cm = (struct cmsghdr){ .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS };
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	ssize_t k;
	while ((k = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	TRY(k, "sendmsg pty master to console socket");
}

OP(console)
{
	struct winsize ws = { .ws_row = (unsigned short)num(w[1], USHRT_MAX), .ws_col = (unsigned short)num(w[2], USHRT_MAX) };
	unsigned int ptn;
	char pts[32];
	if (console_fd < 0)
		fail(EBADF, "no console_connect before console");
	int m = TRY(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), "open \"/dev/ptmx\"");
	TRY(unlockpt(m), "unlockpt \"/dev/ptmx\"");
	TRY(ioctl(m, TIOCGPTN, &ptn), "ioctl TIOCGPTN \"/dev/ptmx\"");
	snprintf(pts, sizeof pts, "/dev/pts/%u", ptn);
	int s = TRY(open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC), "open \"%s\"", pts);
	if (ws.ws_row || ws.ws_col)
		TRY(ioctl(s, TIOCSWINSZ, &ws), "ioctl TIOCSWINSZ \"%s\"", pts);
	send_fd(console_fd, m, "/dev/ptmx");
	close(m);
	close(console_fd);
	console_fd = -1;
	for (int fd = 0; fd < 3; fd++)
		TRY(dup2(s, fd), "dup2 \"%s\" onto %d", pts, fd);
	if (s > 2)
		close(s);
	TRY(ioctl(0, TIOCSCTTY, 0), "ioctl TIOCSCTTY \"%s\"", pts);
}

OP(rlimit)
{
	int res = (int)num(w[1], INT_MAX);
	struct rlimit r = { .rlim_cur = num(w[2], UINT64_MAX), .rlim_max = num(w[3], UINT64_MAX) };
	TRY(setrlimit(res, &r), "setrlimit %d", res);
}

OP(umask)
{
	umask((mode_t)num(w[1], 0777));
}

OP(chdir)
{
	TRY(chdir(w[1]), "chdir \"%s\"", w[1]);
}

OP(keepcaps)
{
	TRY(prctl(PR_SET_KEEPCAPS, (unsigned long)num(w[1], 1), 0, 0, 0), "prctl PR_SET_KEEPCAPS");
}

OP(capbset)
{
	uint64_t keep = num(w[1], UINT64_MAX);
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 && !(keep >> cap & 1))
			TRY(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl PR_CAPBSET_DROP %d", cap);
}

OP(setgroups)
{
	gid_t *g = xcalloc((size_t)n, sizeof *g);
	for (int i = 1; i < n; i++)
		g[i - 1] = (gid_t)num(w[i], UINT32_MAX);
	TRY(syscall(SYS_setgroups, n - 1, g), "setgroups");
	free(g);
}

OP(capset)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t e = num(w[1], UINT64_MAX), p = num(w[2], UINT64_MAX), i = num(w[3], UINT64_MAX);
	for (int k = 0; k < 2; k++)
		d[k] = (struct __user_cap_data_struct){ (uint32_t)(e >> 32 * k), (uint32_t)(p >> 32 * k), (uint32_t)(i >> 32 * k) };
	TRY(syscall(SYS_capset, &h, d), "capset");
}

OP(ambient)
{
	uint64_t mask = num(w[1], UINT64_MAX);
	TRY(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl PR_CAP_AMBIENT_CLEAR_ALL");
	for (int cap = 0; cap < 64; cap++)
		if (mask >> cap & 1)
			TRY(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0), "prctl PR_CAP_AMBIENT_RAISE %d", cap);
}

OP(nnp)
{
	TRY(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");
}

OP(seccomp)
{
	unsigned flags = (unsigned)num(w[1], UINT32_MAX);
	const char *hex = w[2];
	size_t len = strlen(hex) / 2, count = len / sizeof(struct sock_filter);
	if (strlen(hex) % 2 || !len || len % sizeof(struct sock_filter) || count > USHRT_MAX)
		fail(EINVAL, "seccomp program of %zu hex digits", strlen(hex));
	unsigned char *buf = xcalloc(len, 1);
	for (size_t i = 0; i < 2 * len; i++) {
		int c = (unsigned char)hex[i];
		if (!isxdigit(c))
			fail(EINVAL, "seccomp program is not hex at %zu", i);
		buf[i / 2] = (unsigned char)(buf[i / 2] << 4 | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10));
	}
	struct sock_fprog prog = { .len = (unsigned short)count, .filter = (struct sock_filter *)buf };
	TRY(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog), "seccomp SECCOMP_SET_MODE_FILTER");
}

/* As Go's LookPath in runc: stat and the mode's execute bits. No access(2): glibc turns faccessat with
 * AT_EACCESS into faccessat2, which a seccomp profile loaded earlier may not allow. */
OP(lookpath)
{
	const char *file = w[1];
	struct stat st;
	if (strchr(file, '/')) {
		TRY(stat(file, &st), "exec: \"%s\": stat", file);
		if (S_ISDIR(st.st_mode))
			fail(EACCES, "exec: \"%s\": is a directory", file);
		if (!(st.st_mode & 0111))
			fail(EACCES, "exec: \"%s\": permission denied", file);
		snprintf(exec_path, sizeof exec_path, "%s", file);
		return;
	}
	/* as Go's exec.LookPath (runc): an empty entry is ".", an empty PATH has no entries */
	for (const char *dir = w[2]; *w[2]; dir++) {
		size_t dl = strcspn(dir, ":");
		int l = snprintf(exec_path, sizeof exec_path, "%.*s/%s", (int)(dl ? dl : 1), dl ? dir : ".", file);
		if (l < (int)sizeof exec_path && stat(exec_path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return;
		dir += dl;
		if (!*dir)
			break;
	}
	exec_path[0] = 0;
	fail(ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

OP(ready)
{
	const char *m[] = { "ready" };
	send_words(m, 1);
	ready_sent = 1;
}

OP(fifo_wait)
{
	if (fifo_fd < 0)
		fail(EBADF, "no fifo_open before fifo_wait");
	int fd = TRY(open(fdpath(fifo_fd), O_WRONLY | O_CLOEXEC), "open exec fifo"); /* blocks for `tsrun start` */
	if (TRY(write(fd, "0", 1), "write exec fifo") != 1)
		fail(EIO, "write exec fifo");
	close(fd);
	close(fifo_fd);
	fifo_fd = -1;
}

OP(cloexec_from)
{
	unsigned from = (unsigned)num(w[1], INT_MAX);
	if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		fail(errno, "opendir \"/proc/self/fd\"");
	for (struct dirent *e; (e = readdir(d));) {
		int fd = atoi(e->d_name), fl;
		if (e->d_name[0] == '.' || fd < (int)from || fd == dirfd(d))
			continue;
		if ((fl = fcntl(fd, F_GETFD)) < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
			fail(errno, "fcntl FD_CLOEXEC %d", fd);
	}
	closedir(d);
}

OP(exec)
{
	int argc = (int)num(w[1], (uint64_t)(n - 2)), nenv = n - 2 - argc;
	if (!argc)
		fail(EINVAL, "exec: empty argv");
	char **argv = xcalloc((size_t)argc + 1, sizeof *argv), **envp = xcalloc((size_t)nenv + 1, sizeof *envp);
	memcpy(argv, w + 2, (size_t)argc * sizeof *argv);
	memcpy(envp, w + 2 + argc, (size_t)nenv * sizeof *envp);
	const char *file = *exec_path ? exec_path : argv[0];
	sigaction(SIGPIPE, &old_sigpipe, NULL); /* an ignored signal would stay ignored in the container */
	execve(file, argv, envp);
	int e = errno;
	signal(SIGPIPE, SIG_IGN);
	fail(e, "exec \"%s\"", file);
}

/* ---- the plan ---- */

static const struct {
	const char *name;
	void (*run)(char **w, int n);
	int min, max; /* number of words, the name included; max -1: any */
} table[] = {
	{ "setns", op_setns, 3, 3 }, { "unshare_time", op_unshare_time, 2, 2 },
	{ "console_connect", op_console_connect, 2, 2 }, { "clone", op_clone, 5, 5 },
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
	{ "lookpath", op_lookpath, 3, 3 }, { "ready", op_ready, 1, 1 },
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
