// Typed bindings for the few libc calls the TypeScript side needs (koffi is loaded in ffi.ts only).
// Everything between clone() and execve() lives in the native stage (runtime/native), not here.
import { errnoName, strerror } from './errno.js';
import { bind, errno } from './ffi.js';

const c = bind((lib) => ({
  prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
  mkfifo: lib.func('int mkfifo(const char *path, uint32_t mode)'),
  flock: lib.func('int flock(int fd, int op)'),
  umount2: lib.func('int umount2(const char *target, int flags)'),
  socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
}));

export class SyscallError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly target: string,
  ) {
    super(`${syscall} ${target}: ${errnoName(errno)} (${strerror(errno)})`);
  }
}

function check(name: string, target: string, rc: number): number {
  if (rc < 0) throw new SyscallError(name, errno(), target);
  return rc;
}

const PR_SET_CHILD_SUBREAPER = 36;
const LOCK_EX = 2;
const MNT_DETACH = 2;
const EINVAL = 22;
const ENOENT = 2;

export const libc = {
  setChildSubreaper(): void {
    check('prctl', 'PR_SET_CHILD_SUBREAPER', c().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) as number);
  },
  mkfifo(path: string, mode: number): void {
    check('mkfifo', path, c().mkfifo(path, mode) as number);
  },
  /** Lazy unmount (MNT_DETACH); a target that is no longer mounted is fine. */
  umountDetach(target: string): void {
    if ((c().umount2(target, MNT_DETACH) as number) < 0) {
      const e = errno();
      if (e !== EINVAL && e !== ENOENT) throw new SyscallError('umount2', e, target);
    }
  },
  /** A connected AF_UNIX stream pair, close-on-exec (a child gets one end by dup2, which clears the flag). */
  socketpair(): [number, number] {
    const sv = [0, 0];
    check('socketpair', 'AF_UNIX', c().socketpair(1, 1 | 0o2000000, 0, sv) as number);
    return [sv[0] as number, sv[1] as number];
  },
  flockExclusive(fd: number, what: string): void {
    check('flock', what, c().flock(fd, LOCK_EX) as number);
  },
  /** Waits for a child (in a koffi worker thread) and resolves to its raw wait status. */
  waitpid(pid: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const status = [0];
      c().waitpid.async(pid, status, 0, (err: unknown, rc: number) => {
        if (err) reject(err);
        else if (rc < 0) reject(new SyscallError('waitpid', errno(), String(pid)));
        else resolve(status[0] ?? 0);
      });
    });
  },
};

export type Libc = typeof libc;
