// The few libc calls the shim needs beyond Node's: koffi is loaded by the runtime's ffi.ts (one loader for the
// project). waitpid(WNOHANG) reaps container processes the shim did not spawn itself; eventfd serves the v1 OOM
// notification.
import { SyscallError, libc } from '../../runtime/src/linux/libc.js';
import { errno, libcLib as lib } from '../../runtime/src/linux/ffi.js';

const c = {
  waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
  eventfd: lib.func('int eventfd(unsigned int initval, int flags)'),
};

const WNOHANG = 1;
const ECHILD = 10;
const EFD_CLOEXEC = 0o2000000;

/** The exit of a reaped process: its code, or 128 + the signal that ended it (as a shell reports it). */
export function exitStatus(raw: number): number {
  const sig = raw & 0x7f;
  return sig === 0 ? (raw >> 8) & 0xff : 128 + sig;
}

export const sys = {
  setChildSubreaper: (): void => libc.setChildSubreaper(),
  /** Reaps pid if it has exited: its exit status, or undefined while it runs (or is not our child). */
  reap(pid: number): number | undefined {
    const status = [0];
    const rc = c.waitpid(pid, status, WNOHANG) as number;
    if (rc === 0) return undefined;
    if (rc < 0) {
      const e = errno();
      if (e === ECHILD) return undefined;
      throw new SyscallError('waitpid', e, String(pid));
    }
    return exitStatus(status[0] ?? 0);
  },
  eventfd(): number {
    const fd = c.eventfd(0, EFD_CLOEXEC) as number;
    if (fd < 0) throw new SyscallError('eventfd', errno(), 'oom notification');
    return fd;
  },
};

export type Sys = typeof sys;
