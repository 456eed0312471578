/*
 * Defences of tsrun-init against the known runc escapes (see README "Security"); the ops call these.
 *
 * - CVE-2019-5736: the native stage runs as a process in the container's pid namespace (pid 1 of a created
 *   container, the exec stage of `tsrun exec`), so /proc/<pid>/exe of it is reachable from inside. It makes itself
 *   non-dumpable (no /proc/<pid>/exe, fd, environ or ptrace for the container without CAP_SYS_PTRACE), and it
 *   always runs from a sealed memfd copy of its binary, so even a process that can open /proc/<pid>/exe gets a
 *   file that cannot be written, never the host's dist/native/tsrun-init.
 * - CVE-2019-16884, CVE-2025-52881: writes to procfs go through a procfs root fd checked to be the root of a real
 *   procfs mount, then openat2(RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS), so a mount over any
 *   component (a bind of a bundle file or of another procfs file over /proc/sys/...) makes the write fail
 *   instead of landing somewhere else.
 * - CVE-2025-31133, CVE-2025-52565: the /dev/null bound over masked paths and the /dev/console target are opened
 *   without following symlinks and checked to be what they claim before anything is bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include "tsrun-init.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define PROC_ROOT_INO 1

extern char **environ;

/* ---- CVE-2019-5736: a sealed copy of this binary, not dumpable ---- */

static int is_sealed(int fd)
{
	int s = fcntl(fd, F_GET_SEALS);
	return s >= 0 && (s & SEALS) == SEALS;
}

static _Noreturn void early_fail(const char *what)
{
	dprintf(2, "tsrun-init: %s: %s\n", what, strerror(errno));
	_exit(1);
}

/*
 * Called first thing in main(). The first time, copies /proc/self/exe into a memfd, seals it against any change
 * and executes the copy (same pid, same fds); the copy finds itself sealed and goes on. A kernel that refuses an
 * executable memfd (vm.memfd_noexec=2) is an error: the native stage never runs from the host's file.
 */
void harden_self(char **argv)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		early_fail("prctl PR_SET_DUMPABLE 0");
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		early_fail("open /proc/self/exe");
	if (is_sealed(self)) {
		close(self);
		return;
	}
	int m = memfd_create("tsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (m < 0 && errno == EINVAL)
		m = memfd_create("tsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING); /* a kernel before MFD_EXEC */
	if (m < 0)
		early_fail("memfd_create");
	struct stat st;
	if (fstat(self, &st) < 0)
		early_fail("fstat /proc/self/exe");
	for (off_t off = 0; off < st.st_size;) {
		ssize_t k = sendfile(m, self, &off, (size_t)(st.st_size - off));
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			early_fail("copy /proc/self/exe to a memfd");
		}
	}
	if (fcntl(m, F_ADD_SEALS, SEALS) < 0)
		early_fail("seal the memfd copy of /proc/self/exe");
	close(self);
	syscall(SYS_execveat, m, "", argv, environ, AT_EMPTY_PATH);
	early_fail("execveat the sealed memfd copy");
}

/* ---- CVE-2019-16884, CVE-2025-52881: writes that must land on procfs ---- */

static int host_proc = -1;

static int check_proc_root(int fd, const char *where)
{
	struct statfs sf;
	struct stat st;
	TRY(fstatfs(fd, &sf), "statfs \"%s\"", where);
	TRY(fstat(fd, &st), "stat \"%s\"", where);
	if (sf.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
		fail(EPERM, "\"%s\" is not the root of a procfs mount; refusing to use it", where);
	return fd;
}

/* The runtime's own /proc, opened before any op can join another mount namespace (uid_map, timens_offsets). */
void open_host_proc(void)
{
	host_proc = check_proc_root(TRY(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC), "open \"/proc\""), "/proc");
}

/* In the cloned child: a directory fd of the host's procfs must never sit in a process the container can reach
 * (pid 1 of a created container holds its fds until exec; CVE-2024-21626 class). */
void close_host_proc(void)
{
	if (host_proc >= 0)
		close(host_proc);
	host_proc = -1;
}

/*
 * Opens a file of procfs for writing: path is "/proc/..." under the current root (the container's after
 * pivot_root), or relative to the runtime's /proc when host is set. No symlink of the rootfs may lead to /proc,
 * /proc must be a procfs root, and no mount may cover the file or any directory on the way.
 */
int proc_open_write(const char *path, int host)
{
	if (strncmp(path, "/proc/", 6))
		fail(EINVAL, "\"%s\" is not under /proc", path);
	int root = host_proc;
	if (!host) {
		root = open_no_symlinks("/proc", O_DIRECTORY);
		root = check_proc_root(TRY(root, "open \"/proc\" without following symlinks"), "/proc");
	}
	if (root < 0)
		fail(EBADF, "no procfs handle for \"%s\"", path);
	struct open_how how = { .flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, root, path + 6, &how, sizeof how);
	int e = errno;
	if (!host)
		close(root);
	if (fd < 0 && e == EXDEV)
		fail(e, "open \"%s\": a mount covers it or a directory on its path; refusing to write through it", path);
	if (fd < 0)
		fail(e, "open \"%s\"", path);
	struct statfs sf;
	TRY(fstatfs(fd, &sf), "statfs \"%s\"", path);
	if (sf.f_type != PROC_SUPER_MAGIC)
		fail(EPERM, "\"%s\" is not on procfs; refusing to write it", path);
	return fd;
}

/*
 * After pivot_root, mount(2) is handed resolved fds as /proc/self/fd/N of the container's /proc: a /proc that is not
 * procfs (a bind of a bundle directory with symlinks of its own) could point those names elsewhere. Checked first.
 */
void require_container_proc(void)
{
	int fd = open_no_symlinks("/proc", O_DIRECTORY);
	close(check_proc_root(TRY(fd, "open \"/proc\" without following symlinks"), "/proc"));
}

/* ---- CVE-2025-31133, CVE-2025-52565: device nodes checked before they are bound ---- */

/* Opens a path of the container ("/dev/null") as O_PATH without following any symlink on the way. */
int open_no_symlinks(const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_PATH | O_NOFOLLOW | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how), e = errno;
	close(root);
	errno = e;
	return fd;
}

/* The container's /dev/null, checked to be the null character device (1:3); masks are bound from this fd. */
int open_dev_null(const char *masking)
{
	int fd = open_no_symlinks("/dev/null", 0);
	if (fd < 0)
		fail(errno, "open \"/dev/null\" without following symlinks, to mask \"%s\"", masking);
	struct stat st;
	TRY(fstat(fd, &st), "stat \"/dev/null\"");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
		fail(EPERM, "\"/dev/null\" is not the null device (mode %o, device %u:%u); refusing to mask \"%s\" with it",
		     st.st_mode, major(st.st_rdev), minor(st.st_rdev), masking);
	return fd;
}

/*
 * The console (spec: "/dev/console is set up if terminal is enabled by bind mounting the pseudoterminal pty to
 * /dev/console"): the target is opened without following symlinks (created as an empty file when missing) and must
 * be a regular file or a character device on neither procfs nor sysfs, so the bind can never cover a procfs or
 * host file that /dev/console was made to point at. The bind source is the pty's own fd, not a path.
 */
void bind_console(int pty)
{
	int fd = open_no_symlinks("/dev/console", 0);
	if (fd < 0 && errno == ENOENT) {
		int dev = open_no_symlinks("/dev", O_DIRECTORY);
		if (dev < 0)
			fail(errno, "open \"/dev\" without following symlinks");
		int f = openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (f < 0 && errno != EEXIST)
			fail(errno, "create \"/dev/console\"");
		if (f >= 0)
			close(f);
		close(dev);
		fd = open_no_symlinks("/dev/console", 0);
	}
	if (fd < 0)
		fail(errno, "open \"/dev/console\" without following symlinks");
	struct stat st;
	struct statfs sf;
	TRY(fstat(fd, &st), "stat \"/dev/console\"");
	TRY(fstatfs(fd, &sf), "statfs \"/dev/console\"");
	if ((!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) || sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC)
		fail(EPERM, "\"/dev/console\" is not a plain file or device (mode %o, filesystem 0x%lx); refusing to bind the console over it",
		     st.st_mode, (unsigned long)sf.f_type);
	const char *src = fdpath(pty);
	TRY(mount(src, fdpath(fd), NULL, MS_BIND, NULL), "bind the console over \"/dev/console\"");
	close(fd);
}
