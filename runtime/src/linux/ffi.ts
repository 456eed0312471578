// The one place koffi is loaded, on the first libc call rather than at start: loading it and binding libc costs
// about 1.5 ms, and `state` or `kill` never make a call through it. koffi's index.js also loads its download
// tooling (https, zlib, crypto), which costs more than 10 ms: its native module alone has every function we use,
// so load that directly when its version matches the package, and fall back to the full package otherwise.
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';

type Koffi = typeof koffiModule;
export type Lib = ReturnType<Koffi['load']>;

function load(): Koffi {
  const require = createRequire(import.meta.url);
  try {
    const native = require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`) as Koffi & { version: string };
    if (native.version === (require('koffi/package.json') as { version: string }).version) return native;
  } catch {
    // not prebuilt for this platform: the package finds or builds it
  }
  return require('koffi') as Koffi;
}

let loaded: { koffi: Koffi; libc: Lib; errnoLocation: (...args: unknown[]) => unknown } | undefined;

function ffi(): NonNullable<typeof loaded> {
  if (!loaded) {
    const k = load();
    const libc = k.load('libc.so.6');
    loaded = { koffi: k, libc, errnoLocation: libc.func('int *__errno_location()') };
  }
  return loaded;
}

/**
 * koffi and libc as objects that load on first property access, for code that binds outside bind() (the shim's
 * io). Prefer bind() in new code.
 */
function onFirstUse<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get(_target, key) {
      const real = get();
      const v = Reflect.get(real, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(real) : v;
    },
  });
}

export const koffi: Koffi = onFirstUse(() => ffi().koffi);
export const libcLib: Lib = onFirstUse(() => ffi().libc);

/** A table of libc functions (or koffi types), made on first use: `const c = bind((lib, k) => ({ ... }))`, then `c().fn()`. */
export function bind<T>(make: (lib: Lib, k: Koffi) => T): () => T {
  let table: T | undefined;
  return () => (table ??= make(ffi().libc, ffi().koffi));
}

export function errno(): number {
  const f = ffi();
  return f.koffi.decode(f.errnoLocation(), 'int') as number;
}
