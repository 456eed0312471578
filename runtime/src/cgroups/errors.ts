// One error type for everything under cgroups/: a single line that names the operation, the file and the errno,
// e.g. `cgroup: mkdir /sys/fs/cgroup/memory/x: EACCES (permission denied)`.
// `code` is the errno name (EACCES, EBUSY, ...) when the kernel refused, else one of CGROUP_CODES.

export const CGROUP_CODES = {
  invalidPath: 'EINVALIDPATH',
  noSystemd: 'ENOSYSTEMD',
  systemdUnsupported: 'ESYSTEMDUNSUPPORTED',
  noCgroupfs: 'ENOCGROUPFS',
  notEmpty: 'ECGROUPNOTEMPTY',
  noCpuset: 'ENOCPUSET',
  badState: 'EBADSTATE',
  /** linux.resources asks for a controller the host has not mounted (v1) or the cgroup has not enabled (v2). */
  noController: 'ENOCONTROLLER',
  /** linux.resources holds a value no cgroup file can take (checked before anything is written). */
  invalidResources: 'EINVALIDRESOURCES',
  /** The kernel took a write but the file does not read back as asked (cpu.shares clamped, devices.list). */
  notApplied: 'ENOTAPPLIED',
} as const;
export type CgroupCode = (typeof CGROUP_CODES)[keyof typeof CGROUP_CODES];

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EEXIST: 'file exists',
  EBUSY: 'device or resource busy',
  ENOTEMPTY: 'directory not empty',
  ENOSPC: 'no space left on device',
  EINVAL: 'invalid argument',
  EROFS: 'read-only file system',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  ESRCH: 'no such process',
  ENODEV: 'no such device',
  EIO: 'input/output error',
  EAGAIN: 'resource temporarily unavailable',
};

export class CgroupError extends Error {
  readonly code: string;
  readonly path: string | undefined;

  constructor(code: string, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CgroupError';
    this.code = code;
    this.path = opts.path;
  }
}

export function errnoText(code: string): string {
  return ERRNO_TEXT[code] ?? code.toLowerCase();
}

/** Wraps a node:fs failure (or a synthesized errno) as `cgroup: <op> <path>[ "<data>"]: CODE (text)[: hint]`. */
export function fsError(op: string, path: string, err: unknown, extra: { data?: string; hint?: string } = {}): CgroupError {
  if (err instanceof CgroupError) return err;
  const code = errCode(err) ?? 'EIO';
  const data = extra.data === undefined ? '' : ` ${JSON.stringify(extra.data)}`;
  const hint = extra.hint === undefined ? '' : `: ${extra.hint}`;
  return new CgroupError(code, `cgroup: ${op} ${path}${data}: ${code} (${errnoText(code)})${hint}`, { path, cause: err });
}

/** A kernel-style failure without an underlying exception (used by the fake cgroupfs and by retries). */
export function errnoError(op: string, path: string, code: string, extra: { data?: string; hint?: string } = {}): CgroupError {
  return fsError(op, path, Object.assign(new Error(`${code}: ${errnoText(code)}, ${op} '${path}'`), { code }), extra);
}

export function errCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Adds a hint to an existing CgroupError message, keeping its code and cause chain. */
export function withHint(err: CgroupError, hint: string): CgroupError {
  return new CgroupError(err.code, `${err.message}: ${hint}`, { path: err.path, cause: err });
}
