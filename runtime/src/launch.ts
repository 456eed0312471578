// What bin/tsrun and bin/tsrun-shim exec, for the programs that start them once per container (the shim runs tsrun
// create, and start only for poststart hooks; tsrund runs the shim): spawning the compiled Bun program (dist/bun/, by
// scripts/bundle-bun.js) directly spares a /bin/sh per run, ~0.8 ms of CPU each. Only this checkout's own
// launchers, with the program built and TSRUN_ENGINE not "node", are replaced; any other program (runc, a launcher
// elsewhere) runs as given. The environment is the one the launcher would export; test/unit/launch.test.ts pins
// SHORT_COMMANDS and NO_LIBC_COMMANDS to bin/tsrun's lists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GLOBAL_VALUE_FLAGS } from './cli/globals.js';

/** The checkout: this file is dist/runtime/src/launch.js (Bun's bundler keeps that URL in bundles). */
const TOP = path.resolve(decodeURIComponent(new URL('.', import.meta.url).pathname), '../../..');
const PROGRAMS = path.join(TOP, 'dist/bun');

/** The tsrun commands that end within milliseconds and make no libc call: bin/tsrun runs them without Bun's garbage
 * collector and without its JIT (which, enabled, costs ~0.5 ms at start-up even unused). */
export const NO_LIBC_COMMANDS = ['state', 'start', 'kill', 'ps', 'list', 'spec', 'features'];
/** The tsrun commands that end within milliseconds: bin/tsrun runs them without Bun's garbage collector; those with a
 * libc call keep the JIT enabled (held back) for bun:ffi. */
export const SHORT_COMMANDS = [...NO_LIBC_COMMANDS, 'create', 'delete', 'pause', 'resume', 'update'];

export type Env = Record<string, string | undefined>;

export interface Launch {
  file: string;
  args: string[];
  env: Env;
}

/** The tsrun command word in argv (after the global flags), as bin/tsrun finds it. */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (GLOBAL_VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

const isFile = (p: string): boolean => fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;

const resolved = new Map<string, string | undefined>();

function which(bin: string): 'tsrun' | 'tsrun-shim' | undefined {
  if (!resolved.has(bin)) {
    let real: string | undefined;
    try {
      real = fs.realpathSync(bin);
    } catch {
      real = undefined;
    }
    resolved.set(bin, real);
  }
  const real = resolved.get(bin);
  if (real === path.join(TOP, 'bin', 'tsrun')) return 'tsrun';
  if (real === path.join(TOP, 'bin', 'tsrun-shim')) return 'tsrun-shim';
  return undefined;
}

/** Whether bin is this checkout's bin/tsrun: the shim then runs some of its commands' code itself. */
export const isTsrun = (bin: string): boolean => which(bin) === 'tsrun';

/** How to run `bin args` with env: the compiled program when bin is this checkout's launcher, else bin itself. */
export function launch(bin: string, args: string[], env: Env): Launch {
  const asGiven = { file: bin, args, env };
  if (env.TSRUN_ENGINE === 'node') return asGiven;
  const program = which(bin);
  if (!program) return asGiven;
  const file = path.join(PROGRAMS, program); // tsrun-shim: a symlink; the name picks the program
  if (!isFile(file)) return asGiven;
  if (program === 'tsrun') {
    const command = commandOf(args) ?? '';
    const gc = SHORT_COMMANDS.includes(command) ? { BUN_JSC_useGC: env.BUN_JSC_useGC ?? '0' } : {};
    const jit = NO_LIBC_COMMANDS.includes(command)
      ? { BUN_JSC_useJIT: env.BUN_JSC_useJIT ?? '0' }
      : { BUN_JSC_thresholdForJITAfterWarmUp: env.BUN_JSC_thresholdForJITAfterWarmUp ?? '100000', BUN_JSC_thresholdForJITSoon: env.BUN_JSC_thresholdForJITSoon ?? '100000' };
    return { file, args, env: { ...env, ...jit, BUN_JSC_useWarmUpMarkedBlocks: env.BUN_JSC_useWarmUpMarkedBlocks ?? '0', ...gc } };
  }
  const shimEnv = {
    BUN_GC_TIMER_DISABLE: '1',
    BUN_JSC_useWarmUpMarkedBlocks: env.BUN_JSC_useWarmUpMarkedBlocks ?? '0',
    BUN_JSC_numberOfGCMarkers: env.BUN_JSC_numberOfGCMarkers ?? '1',
    BUN_JSC_useConcurrentGC: env.BUN_JSC_useConcurrentGC ?? '0',
    BUN_JSC_thresholdForJITAfterWarmUp: env.BUN_JSC_thresholdForJITAfterWarmUp ?? '5000',
    BUN_JSC_thresholdForJITSoon: env.BUN_JSC_thresholdForJITSoon ?? '1000',
  };
  return { file, args, env: { ...env, ...shimEnv } };
}
