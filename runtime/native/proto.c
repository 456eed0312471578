/*
 * The sync socket and failure reports of tsrun-init (see tsrun-init.c for the protocol): messages framed as
 * netstrings of netstrings, both ways; fail() and TRY, which report a failure as (op index, errno, detail);
 * the number parser every op uses; send_fd, which passes an fd over a unix socket (the console's pty master to
 * the console socket, a seccomp listener fd to tsrun).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tsrun-init.h"

#define MAX_MESSAGE (64u << 20)

/* ---- errors ---- */

_Noreturn void fail(int err, const char *fmt, ...)
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

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		fail(ENOMEM, "malloc");
	return p;
}

/* Parses a decimal number no larger than max; anything else fails the current op. */
uint64_t num(const char *s, uint64_t max)
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

int write_all(int fd, const char *p, size_t len)
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

/* One framed message (see tsrun-init.c); *len gets its length. */
static char *frame(const char *const *w, int n, size_t *len)
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
	*len = (size_t)(p - msg);
	return msg;
}

void send_words(const char *const *w, int n)
{
	size_t len;
	char *msg = frame(w, n, &len);
	if (write_all(syncfd, msg, len) < 0)
		_exit(1); /* tsrun is gone: nobody is left to tell */
	free(msg);
}

/* A message to tsrun with fd attached (SCM_RIGHTS), for a file descriptor only this process can make. */
void send_words_fd(const char *const *w, int n, int fd)
{
	size_t len;
	char *msg = frame(w, n, &len);
	msg[len] = 0;
	send_fd(syncfd, fd, msg);
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
char **read_message(int *n)
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

/* ---- the console socket ---- */

void send_fd(int sock, int fd, const char *payload)
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
	TRY(k, "sendmsg fd to %s", sock == syncfd ? "tsrun" : "console socket");
}
