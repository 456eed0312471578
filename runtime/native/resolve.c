/*
 * Paths inside a root for tsrun-init (see tsrun-init.c): resolve_in() opens a path of the plan inside the rootfs or
 * "/" with openat2(RESOLVE_IN_ROOT), one component at a time, and creates missing components when asked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "tsrun-init.h"

/* ---- paths inside a root ---- */

char rerr[PATH_MAX + 64]; /* what failed in the last resolve(), for the error detail */

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
int resolve_in(const char *scope, const char *path, enum create create)
{
	int root;
	if (!strcmp(scope, "rootfs")) {
		if (rootfd < 0)
			fail(EBADF, "no rootfs op before rootfs path \"%s\"", path);
		root = TRY(fcntl(rootfd, F_DUPFD_CLOEXEC, 0), "dup rootfs fd");
	} else if (!strcmp(scope, "host") || !strcmp(scope, "container")) {
		if (!strcmp(scope, "container"))
			require_container_proc(); /* the fd found here is named through it (fdpath) */
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
int parent_in_rootfs(const char *path, char *base)
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

/* mount(2) takes paths, so a resolved fd is passed as its magic link. Two buffers in turn: a bind mount names
 * both its source and its target this way. */
const char *fdpath(int fd)
{
	static char p[2][32];
	static int k;
	k ^= 1;
	snprintf(p[k], sizeof p[k], "/proc/self/fd/%d", fd);
	return p[k];
}
