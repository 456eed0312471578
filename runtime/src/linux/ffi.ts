// The one place koffi is loaded. koffi's index.js also loads its download tooling (https, zlib, crypto), which
// costs more than 10 ms at every tsrun start; its native module alone has every function we use, so load that
// directly when its version matches the package, and fall back to the full package otherwise.
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';

const require = createRequire(import.meta.url);

function load(): typeof koffiModule {
  try {
    const native = require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`) as typeof koffiModule & { version: string };
    if (native.version === (require('koffi/package.json') as { version: string }).version) return native;
  } catch {
    // not prebuilt for this platform: the package finds or builds it
  }
  return require('koffi') as typeof koffiModule;
}

export const koffi = load();
export const libcLib = koffi.load('libc.so.6');

const errnoLocation = libcLib.func('int *__errno_location()');

export function errno(): number {
  return koffi.decode(errnoLocation(), 'int') as number;
}
