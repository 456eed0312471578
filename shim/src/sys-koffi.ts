// The shim's raw libc calls through koffi (Node), from the runtime's one koffi loader.
import { errno, libcLib as lib } from '../../runtime/src/linux/ffi.js';
import type { RawLibc } from './sys.js';

export function rawLibc(): RawLibc {
  const prctl = lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
  const waitpid = lib.func('int waitpid(int pid, _Out_ int *status, int options)');
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  return {
    prctl: (option, arg) => prctl(option, arg, 0, 0, 0) as number,
    waitpid: (pid, options) => {
      const status = [0];
      const rc = waitpid(pid, status, options) as number;
      return [rc, status[0] ?? 0];
    },
    eventfd: (initval, flags) => eventfd(initval, flags) as number,
    errno,
  };
}
