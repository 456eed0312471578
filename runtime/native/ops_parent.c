/*
 * The ops of tsrun-init's parent stage (see tsrun-init.c): what runs before clone(), and clone itself, which hands
 * the rest of the plan to the container init.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>
#include "tsrun-init.h"

/* ---- ops: parent stage ---- */

OP(setns)
{
	int fd = TRY(open(w[1], O_RDONLY | O_CLOEXEC), "open \"%s\"", w[1]);
	TRY(setns(fd, (int)num(w[2], INT_MAX)), "setns \"%s\"", w[1]);
	close(fd);
}

OP(unshare_time)
{
	TRY(unshare(CLONE_NEWTIME), "unshare CLONE_NEWTIME");
	int fd = proc_open_write("/proc/self/timens_offsets", 1);
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
	/* through the runtime's own /proc, opened before any setns: a joined mount namespace cannot redirect it.
	 * Should the open fail, the child reads EOF on its go-pipe and exits. */
	int fd = proc_open_write(path, 1);
	ssize_t k = write(fd, data, strlen(data));
	if (k != (ssize_t)strlen(data)) {
		int e = k < 0 ? errno : EIO;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail(e, "write \"%s\"", path);
	}
	close(fd);
}

/* The parent stage is single-threaded: writing "0" to a v1 tasks file moves the whole process, and unlike a
 * cgroup.procs write it does not take the kernel's global threadgroup lock (whose RCU wait costs milliseconds). */
OP(join_cgroup)
{
	int fd = TRY(open(w[1], O_WRONLY | O_CLOEXEC), "open \"%s\"", w[1]);
	TRY(write(fd, "0", 1), "write \"%s\"", w[1]);
	close(fd);
}

/* cgroup2 directory the container init is cloned into (clone3 CLONE_INTO_CGROUP), for the same reason */
static int clone_cgroup_fd = -1;

OP(clone_into)
{
	clone_cgroup_fd = TRY(open(w[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open \"%s\"", w[1]);
}

static long do_clone(unsigned long flags)
{
	if (clone_cgroup_fd < 0)
		return syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	struct clone_args args = {
		.flags = flags | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)clone_cgroup_fd,
	};
	return syscall(SYS_clone3, &args, sizeof args);
}

/* Runs `tool <pid> <the numbers of map>` (newuidmap/newgidmap, setuid helpers that check /etc/subuid and
 * /etc/subgid) with its stderr captured for the error detail. */
static void run_map_tool(pid_t pid, const char *tool, const char *map)
{
	char buf[4096], ps[16], *argv[256];
	int argc = 0, out[2];
	snprintf(ps, sizeof ps, "%d", pid);
	if (strlen(map) >= sizeof buf)
		fail(E2BIG, "%s: map too long", tool);
	strcpy(buf, map);
	argv[argc++] = (char *)tool;
	argv[argc++] = ps;
	for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		if (argc >= (int)(sizeof argv / sizeof argv[0]) - 1)
			fail(E2BIG, "%s: map has too many lines", tool);
		argv[argc++] = t;
	}
	argv[argc] = NULL;
	TRY(pipe2(out, O_CLOEXEC), "pipe2");
	pid_t t = (pid_t)TRY(fork(), "fork for %s", tool);
	if (t == 0) {
		char *envp[] = { NULL };
		dup2(out[1], 1);
		dup2(out[1], 2);
		execve(tool, argv, envp);
		dprintf(2, "exec: %s", strerror(errno));
		_exit(127);
	}
	close(out[1]);
	char msg[512];
	size_t len = 0;
	ssize_t k;
	while (len < sizeof msg - 1 && ((k = read(out[0], msg + len, sizeof msg - 1 - len)) > 0 || (k < 0 && errno == EINTR)))
		if (k > 0)
			len += (size_t)k;
	close(out[0]);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	msg[len] = 0;
	for (char *c = msg; *c; c++)
		if (*c == '\n')
			*c = ' ';
	int status;
	while (waitpid(t, &status, 0) < 0)
		if (errno != EINTR)
			fail(errno, "waitpid %s", tool);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail(0, "%s %d failed (status %d): %s", tool, pid, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), *msg ? msg : "no output");
	}
}

OP(clone)
{
	unsigned long flags = num(w[1], ULONG_MAX);
	const char *uid_tool = n > 5 ? w[5] : "", *gid_tool = n > 6 ? w[6] : "";
	int go[2];
	TRY(pipe2(go, O_CLOEXEC), "pipe2");
	/* a raw clone without a stack has fork semantics, plus namespace flags (CLONE_NEWUSER wants one thread) */
	/* The parent stage is not dumpable (hardening.c), nor is the child it clones; an unprivileged parent can only
	 * write the child's id maps while the child is dumpable, so then the child is made so until its maps are in. */
	int unprivileged = geteuid() != 0, unprivileged_maps = *w[2] && unprivileged;
	if (unprivileged_maps)
		TRY(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl PR_SET_DUMPABLE 1");
	pid_t pid = (pid_t)TRY(do_clone(flags), clone_cgroup_fd < 0 ? "clone" : "clone3 CLONE_INTO_CGROUP");
	if (unprivileged_maps && pid != 0)
		TRY(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl PR_SET_DUMPABLE 0");
	if (pid == 0 && clone_cgroup_fd >= 0)
		close(clone_cgroup_fd);
	if (pid == 0)
		close_host_proc();
	if (pid == 0) {
		char b;
		ssize_t k;
		close(go[1]);
		while ((k = read(go[0], &b, 1)) < 0 && errno == EINTR)
			;
		if (k != 1)
			_exit(1); /* P failed and has reported it */
		close(go[0]);
		/* Under an unprivileged runtime the init stays dumpable: non-dumpable, its /proc files would belong to the
		 * host's root (its mm was made outside the new user namespace) and the runtime, run by the same user,
		 * could not join its namespaces for `exec` into a created container. The user gains nothing over the
		 * user's own process, and the binary is a sealed memfd copy (hardening.c), so there is nothing to
		 * overwrite through /proc/<pid>/exe. */
		if (!unprivileged && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			fail(errno, "prctl PR_SET_DUMPABLE 0");
		return;
	}
	close(go[0]);
	if (*w[2]) {
		if (*w[4])
			write_child_file(pid, "setgroups", w[4]);
		if (*w[3] && *gid_tool)
			run_map_tool(pid, gid_tool, w[3]);
		else if (*w[3])
			write_child_file(pid, "gid_map", w[3]);
		if (*uid_tool)
			run_map_tool(pid, uid_tool, w[2]);
		else
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
