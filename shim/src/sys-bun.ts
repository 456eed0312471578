// The shim's raw libc calls through bun:ffi (Bun). Its types are Bun's, not in this project's @types: the few
// used here are declared below.
import type { RawLibc } from './sys.js';

type Fn = (...args: unknown[]) => unknown;
interface BunFfi {
  dlopen(lib: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, Fn> };
  read: { i32(ptr: unknown, offset: number): number };
}

export async function rawLibc(): Promise<RawLibc> {
  const specifier = 'bun:ffi';
  const ffi = (await import(specifier)) as BunFfi;
  const { symbols: s } = ffi.dlopen('libc.so.6', {
    prctl: { args: ['i32', 'u64', 'u64', 'u64', 'u64'], returns: 'i32' },
    waitpid: { args: ['i32', 'ptr', 'i32'], returns: 'i32' },
    eventfd: { args: ['u32', 'i32'], returns: 'i32' },
    __errno_location: { args: [], returns: 'ptr' },
  });
  const status = new Int32Array(1);
  return {
    prctl: (option, arg) => s.prctl?.(option, arg, 0, 0, 0) as number,
    waitpid: (pid, options) => {
      status[0] = 0;
      const rc = s.waitpid?.(pid, status, options) as number;
      return [rc, status[0] ?? 0];
    },
    eventfd: (initval, flags) => s.eventfd?.(initval, flags) as number,
    errno: () => ffi.read.i32(s.__errno_location?.(), 0),
  };
}
