// libc's synchronous calls through bun:ffi, for tsrun on Bun: create, delete, pause and the other commands that make
// one or two such calls (flock, mkfifo, socketpair) then spare loading koffi, ~1.5 ms of CPU each (bun:ffi binds
// these in ~0.3 ms). bun:ffi needs JSC's JIT enabled (for these commands the launchers only raise its thresholds, so
// that a short run never compiles), so this is undefined on Node, or when the JIT is off or bun:ffi cannot bind: koffi then does it.
import { createRequire } from 'node:module';
import type { RawLibc } from './libc.js';

type Fn = (...args: unknown[]) => number;
interface BunFfi {
  dlopen(lib: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, Fn> };
  read: { i32(ptr: unknown, offset: number): number };
}

const cString = (s: string): Buffer => Buffer.from(`${s}\0`);

export function bunLibc(): RawLibc | undefined {
  if (!(globalThis as { Bun?: unknown }).Bun) return undefined;
  let ffi: BunFfi;
  let s: Record<string, Fn>;
  try {
    ffi = createRequire(import.meta.url)('bun:ffi') as BunFfi;
    s = ffi.dlopen('libc.so.6', {
      prctl: { args: ['i32', 'u64', 'u64', 'u64', 'u64'], returns: 'i32' },
      mkfifo: { args: ['ptr', 'u32'], returns: 'i32' },
      flock: { args: ['i32', 'i32'], returns: 'i32' },
      umount2: { args: ['ptr', 'i32'], returns: 'i32' },
      socketpair: { args: ['i32', 'i32', 'i32', 'ptr'], returns: 'i32' },
      __errno_location: { args: [], returns: 'ptr' },
    }).symbols;
  } catch {
    return undefined;
  }
  const call = (name: string): Fn => s[name] as Fn;
  const sv = new Int32Array(2);
  return {
    via: 'bun:ffi',
    prctl: (option, arg) => call('prctl')(option, arg, 0, 0, 0),
    mkfifo: (path, mode) => call('mkfifo')(cString(path), mode),
    flock: (fd, op) => call('flock')(fd, op),
    umount2: (target, flags) => call('umount2')(cString(target), flags),
    socketpair: (domain, type, protocol) => {
      const rc = call('socketpair')(domain, type, protocol, sv);
      return [rc, sv[0] as number, sv[1] as number];
    },
    errno: () => ffi.read.i32(call('__errno_location')(), 0),
  };
}
