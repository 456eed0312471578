// Typed bindings for the few libc calls the TypeScript side needs: the synchronous ones through bun:ffi on Bun
// (libc-bun.ts), else koffi (loaded in ffi.ts only); waitpid, which waits in a worker thread, always through koffi.
// Everything between clone() and execve() lives in the native stage (runtime/native), not here.
import { errnoName, strerror } from './errno.js';
import { bind, errno } from './ffi.js';
import { bunLibc } from './libc-bun.js';

/** The synchronous calls as libc makes them: -1 and errno() on failure. */
export interface RawLibc {
  via: 'bun:ffi' | 'koffi';
  prctl(option: number, arg: number): number;
  mkfifo(path: string, mode: number): number;
  flock(fd: number, op: number): number;
  umount2(target: string, flags: number): number;
  /** [rc, fd, fd] */
  socketpair(domain: number, type: number, protocol: number): [number, number, number];
  errno(): number;
}

const k = bind((lib) => ({
  prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
  mkfifo: lib.func('int mkfifo(const char *path, uint32_t mode)'),
  flock: lib.func('int flock(int fd, int op)'),
  umount2: lib.func('int umount2(const char *target, int flags)'),
  socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
}));

function koffiLibc(): RawLibc {
  return {
    via: 'koffi',
    prctl: (option, arg) => k().prctl(option, arg, 0, 0, 0) as number,
    mkfifo: (path, mode) => k().mkfifo(path, mode) as number,
    flock: (fd, op) => k().flock(fd, op) as number,
    umount2: (target, flags) => k().umount2(target, flags) as number,
    socketpair: (domain, type, protocol) => {
      const sv = [0, 0];
      const rc = k().socketpair(domain, type, protocol, sv) as number;
      return [rc, sv[0] as number, sv[1] as number];
    },
    errno,
  };
}

let raw: RawLibc | undefined;
/** The synchronous calls, bound on first use. */
export const rawLibc = (): RawLibc => (raw ??= bunLibc() ?? koffiLibc());

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
  if (rc < 0) throw new SyscallError(name, rawLibc().errno(), target);
  return rc;
}

const PR_SET_CHILD_SUBREAPER = 36;
const LOCK_EX = 2;
const MNT_DETACH = 2;
const EINVAL = 22;
const ENOENT = 2;

export const libc = {
  setChildSubreaper(): void {
    check('prctl', 'PR_SET_CHILD_SUBREAPER', rawLibc().prctl(PR_SET_CHILD_SUBREAPER, 1));
  },
  mkfifo(path: string, mode: number): void {
    check('mkfifo', path, rawLibc().mkfifo(path, mode));
  },
  /** Lazy unmount (MNT_DETACH); a target that is no longer mounted is fine. */
  umountDetach(target: string): void {
    if (rawLibc().umount2(target, MNT_DETACH) < 0) {
      const e = rawLibc().errno();
      if (e !== EINVAL && e !== ENOENT) throw new SyscallError('umount2', e, target);
    }
  },
  /** A connected AF_UNIX stream pair, close-on-exec (a child gets one end by dup2, which clears the flag). */
  socketpair(): [number, number] {
    const [rc, a, b] = rawLibc().socketpair(1, 1 | 0o2000000, 0);
    check('socketpair', 'AF_UNIX', rc);
    return [a, b];
  },
  flockExclusive(fd: number, what: string): void {
    check('flock', what, rawLibc().flock(fd, LOCK_EX));
  },
  /** Waits for a child (in a koffi worker thread) and resolves to its raw wait status. */
  waitpid(pid: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const status = [0];
      k().waitpid.async(pid, status, 0, (err: unknown, rc: number) => {
        if (err) reject(err);
        else if (rc < 0) reject(new SyscallError('waitpid', errno(), String(pid)));
        else resolve(status[0] ?? 0);
      });
    });
  },
};

export type Libc = typeof libc;
