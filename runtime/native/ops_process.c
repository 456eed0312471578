/*
 * The process ops of tsrun-init's container stage (see tsrun-init.c): ids, sessions and keyrings, the sync round
 * trip and hooks, names, sysctls, the console, limits, capabilities, seccomp, and finding and executing the
 * program.
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include "tsrun-init.h"

#define HOOK_OUTPUT 512

static const char *state = ""; /* the last stateJson from a sync reply, for hooks */
static char exec_path[PATH_MAX]; /* set by lookpath */

/* ---- ops: container stage, the process ---- */

OP(unshare)
{
	TRY(unshare((int)num(w[1], INT_MAX)), "unshare");
}

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

/* CVE-2024-21626: a cwd reached through an fd (/proc/self/fd/N) can lie outside the container's root. After
 * chdir the kernel must be able to name the cwd from the root: getcwd fails with ENOENT, or prefixes
 * "(unreachable)", when it is not below it. */
OP(chdir)
{
	char buf[PATH_MAX];
	TRY(chdir(w[1]), "chdir \"%s\"", w[1]);
	errno = 0;
	if (!getcwd(buf, sizeof buf) || buf[0] != '/')
		fail(errno && errno != ERANGE ? errno : EPERM, "cwd \"%s\" is outside the container's root", w[1]);
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

/*
 * Asked for by a shim (TSRUN_KILL_WITH_PARENT): once tsrun has seen the parent stage exit, this process has been
 * reparented to the shim (a child subreaper) and tsrun sends ["reparented"]; from then on the shim's death kills it.
 * Set after every credential change (which would clear it), so it lasts until execve.
 */
OP(parent_death)
{
	int words;
	char **m = read_message(&words);
	if (words != 1 || strcmp(m[0], "reparented"))
		fail(EPROTO, "expected [\"reparented\"] from tsrun");
	TRY(prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl PR_SET_PDEATHSIG");
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
