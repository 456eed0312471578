/*
 * The filesystem ops of tsrun-init's container stage (see tsrun-init.c): the rootfs, mounts, devices and
 * symlinks in it, tmpcopyup, the exec fifo, the change of root, masked and read-only paths.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "tsrun-init.h"

/* ---- ops: container stage, the filesystem ---- */

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
	/* A bind source is opened once and bound through its fd: what is checked is what gets mounted, even if the
	 * path changes meanwhile (CVE-2021-30465 class). Its kind must still be what the plan created the target as. */
	int sfd = -1;
	if ((flags & MS_BIND) && *src) {
		struct stat st;
		sfd = TRY(open(src, O_PATH | O_CLOEXEC), "open bind source \"%s\"", src);
		TRY(fstat(sfd, &st), "stat bind source \"%s\"", src);
		if ((c == CREATE_DIR && !S_ISDIR(st.st_mode)) || (c == CREATE_FILE && S_ISDIR(st.st_mode)))
			fail(ENOTDIR, "bind source \"%s\" changed type since the plan was made", src);
	}
	TRY(mount(sfd >= 0 ? fdpath(sfd) : *src ? src : NULL, fdpath(fd), *fstype ? fstype : NULL, flags, *data ? data : NULL),
	    "mount \"%s\" on \"%s\"", *src ? src : fstype, target);
	if (sfd >= 0)
		close(sfd);
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
	if (S_ISDIR(st.st_mode)) {
		TRY(mount("tmpfs", fdpath(fd), "tmpfs", MS_RDONLY, NULL), "mount \"tmpfs\" on \"%s\"", w[1]);
	} else {
		/* CVE-2025-31133: bound from an fd checked to be the null device, never from whatever "/dev/null" names */
		int null = open_dev_null(w[1]);
		const char *src = fdpath(null);
		TRY(mount(src, fdpath(fd), NULL, MS_BIND, NULL), "mount \"/dev/null\" on \"%s\"", w[1]);
		close(null);
	}
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
