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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
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
