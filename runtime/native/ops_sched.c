/*
 * The scheduling and execution ops of tsrun-init (see tsrun-init.c), for spec 1.3's process.scheduler, ioPriority,
 * execCPUAffinity, linux.personality and linux.memoryPolicy, the LSM label of the next execve (apparmorProfile,
 * selinuxLabel) and joining a resctrl group (linux.intelRdt). TypeScript (runtime/src/process/sched.ts, lsm.ts,
 * intelrdt/) checked every value and computed every number; these only make the calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "tsrun-init.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#define IOPRIO_WHO_PGRP 2

/* A signed decimal within [min, max]; anything else fails the current op. */
static long long snum(const char *s, long long min, long long max)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		fail(EINVAL, "bad number \"%s\"", s);
	return v;
}

/* words: file path; writes "0", the caller, as resctrl's tasks file allows */
OP(join_resctrl)
{
	int fd = TRY(open(w[1], O_WRONLY | O_CLOEXEC), "open \"%s\"", w[1]);
	TRY(write(fd, "0", 1), "write \"%s\"", w[1]);
	close(fd);
}

/* words: cpu... */
OP(affinity)
{
	int max = 0;
	for (int i = 1; i < n; i++) {
		int c = (int)num(w[i], 8191);
		if (c > max)
			max = c;
	}
	cpu_set_t *set = CPU_ALLOC((size_t)max + 1);
	size_t size = CPU_ALLOC_SIZE((size_t)max + 1);
	if (!set)
		fail(ENOMEM, "malloc");
	CPU_ZERO_S(size, set);
	for (int i = 1; i < n; i++)
		CPU_SET_S((size_t)num(w[i], 8191), size, set);
	TRY(sched_setaffinity(0, size, set), "sched_setaffinity");
	CPU_FREE(set);
}

/* The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER1); glibc has no wrapper. */
struct sched_attr_v1 {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

/* words: policy flags nice priority runtime deadline period */
OP(sched)
{
	struct sched_attr_v1 a = {
		.size = sizeof a,
		.policy = (uint32_t)num(w[1], INT32_MAX),
		.flags = num(w[2], UINT64_MAX),
		.nice = (int32_t)snum(w[3], -20, 19),
		.priority = (uint32_t)num(w[4], 99),
		.runtime = num(w[5], UINT64_MAX),
		.deadline = num(w[6], UINT64_MAX),
		.period = num(w[7], UINT64_MAX),
		.util_min = 0,
		.util_max = 1024, /* SCHED_CAPACITY_SCALE: no clamp unless a flag asks for one */
	};
	TRY(syscall(SYS_sched_setattr, 0, &a, 0), "sched_setattr policy %u", a.policy);
}

/* words: ioprio (class << 13 | data); the process group, as the spec says (the init leads its own) */
OP(ioprio)
{
	int v = (int)num(w[1], 0xffff);
	TRY(syscall(SYS_ioprio_set, IOPRIO_WHO_PGRP, 0, v), "ioprio_set class %d priority %d", v >> 13, v & 0x1fff);
}

/* words: persona */
OP(personality)
{
	unsigned long p = (unsigned long)num(w[1], UINT32_MAX);
	TRY(personality(p), "personality 0x%lx", p);
}

/* words: mode (with flags) node... */
OP(mempolicy)
{
	int mode = (int)num(w[1], INT32_MAX);
	unsigned long *mask = NULL, words = 0;
	if (n > 2) {
		uint64_t max = 0;
		for (int i = 2; i < n; i++)
			if (num(w[i], 1023) > max)
				max = num(w[i], 1023);
		words = (unsigned long)(max / (8 * sizeof *mask) + 1);
		mask = xcalloc(words, sizeof *mask);
		for (int i = 2; i < n; i++) {
			uint64_t node = num(w[i], 1023);
			mask[node / (8 * sizeof *mask)] |= 1UL << (node % (8 * sizeof *mask));
		}
	}
	/* maxnode counts one more than the bits the kernel reads (set_mempolicy(2)) */
	TRY(syscall(SYS_set_mempolicy, mode, mask, mask ? words * 8 * sizeof *mask + 1 : 0), "set_mempolicy mode 0x%x", mode);
	free(mask);
}

/* words: data path...; the first path that exists takes data, and it must be procfs (CVE-2019-16884: a container
 * mount over /proc must not take the label instead) */
OP(lsm_exec)
{
	int fd = -1;
	const char *p = NULL;
	for (int i = 2; i < n && fd < 0; i++) {
		p = w[i];
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT)
			fail(errno, "open \"%s\"", p);
	}
	if (fd < 0)
		fail(ENOENT, "open \"%s\" (is /proc mounted in the container?)", p ? p : "");
	struct statfs sf;
	TRY(fstatfs(fd, &sf), "fstatfs \"%s\"", p);
	if (sf.f_type != PROC_SUPER_MAGIC)
		fail(EXDEV, "\"%s\" is not on procfs", p);
	ssize_t k = TRY(write(fd, w[1], strlen(w[1])), "write \"%s\" to \"%s\"", w[1], p);
	if ((size_t)k != strlen(w[1]))
		fail(EIO, "short write to \"%s\"", p);
	close(fd);
}
