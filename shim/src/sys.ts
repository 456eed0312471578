// The few libc calls the shim needs beyond Node's: prctl (child subreaper), waitpid(WNOHANG) for the container
// processes it did not spawn itself, eventfd for the v1 OOM notification. On Bun they go through bun:ffi, which
// costs the shim ~0.2 MB where koffi costs ~1.4 MB (the shim runs once per container); on Node through koffi,
// loaded by the runtime's ffi.ts (one loader for the project). Each backend only binds the raw calls.
import { errnoName, strerror } from '../../runtime/src/linux/errno.js';

export interface RawLibc {
  prctl(option: number, arg: number): number;
  /** waitpid(pid, &status, options): [return value, status]. */
  waitpid(pid: number, options: number): [number, number];
  eventfd(initval: number, flags: number): number;
  errno(): number;
}

export class ShimSyscallError extends Error {
  constructor(syscall: string, errno: number, target: string) {
    super(`${syscall} ${target}: ${errnoName(errno)} (${strerror(errno)})`);
  }
}

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const ECHILD = 10;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

/** The exit of a reaped process: its code, or 128 + the signal that ended it (as a shell reports it). */
export function exitStatus(raw: number): number {
  const sig = raw & 0x7f;
  return sig === 0 ? (raw >> 8) & 0xff : 128 + sig;
}

export function sysOn(c: RawLibc) {
  return {
    setChildSubreaper(): void {
      if (c.prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw new ShimSyscallError('prctl', c.errno(), 'PR_SET_CHILD_SUBREAPER');
    },
    /** Reaps pid if it has exited: its exit status, or undefined while it runs (or is not our child). */
    reap(pid: number): number | undefined {
      const [rc, status] = c.waitpid(pid, WNOHANG);
      if (rc === 0) return undefined;
      if (rc < 0) {
        const e = c.errno();
        if (e === ECHILD) return undefined;
        throw new ShimSyscallError('waitpid', e, String(pid));
      }
      return exitStatus(status);
    },
    /** A close-on-exec eventfd, non-blocking when asked. */
    eventfd(nonblocking = false): number {
      const fd = c.eventfd(0, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0));
      if (fd < 0) throw new ShimSyscallError('eventfd', c.errno(), 'oom notification');
      return fd;
    },
  };
}

export type Sys = ReturnType<typeof sysOn>;

export async function loadSys(): Promise<Sys> {
  const raw = process.versions.bun ? await (await import('./sys-bun.js')).rawLibc() : (await import('./sys-koffi.js')).rawLibc();
  return sysOn(raw);
}
