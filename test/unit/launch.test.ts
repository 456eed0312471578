// runtime/src/launch.ts against the launchers it stands in for: the same command word and the same environment as
// bin/tsrun and bin/tsrun-shim, and anything that is not this checkout's launcher run as given.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { GLOBAL_VALUE_FLAGS } from '../../runtime/src/cli/globals.js';
import { NO_LIBC_COMMANDS, SHORT_COMMANDS, commandOf, launch } from '../../runtime/src/launch.js';

const TOP = path.resolve(decodeURIComponent(new URL('.', import.meta.url).pathname), '../../..');
const PROGRAM = path.join(TOP, 'dist/bun');
const TSRUN = path.join(TOP, 'bin/tsrun');
const SHIM = path.join(TOP, 'bin/tsrun-shim');
const built = fs.existsSync(path.join(PROGRAM, 'tsrun'));

describe('launch', () => {
  it('knows the same short commands as bin/tsrun, and the same ones without libc calls', () => {
    const lists = [...fs.readFileSync(TSRUN, 'utf8').matchAll(/\n\s*((?:[a-z]+\|)+[a-z]+)\)\n\s*export BUN_JSC_useGC=\S+;( jit=off;)?/g)];
    assert.equal(lists.length, 2, 'bin/tsrun lists the commands that run without the GC, in two groups');
    const words = (m: RegExpMatchArray): string[] => (m[1] as string).split('|').sort();
    assert.deepEqual(lists.flatMap(words).sort(), [...SHORT_COMMANDS].sort());
    assert.deepEqual(lists.filter((m) => m[2]).flatMap(words), [...NO_LIBC_COMMANDS].sort(), 'the group with jit=off');
  });

  it('skips the same global flag values as bin/tsrun', () => {
    const m = /\n\s*((?:--[a-z-]+\|)+--[a-z-]+)\) skip=1 ;;/.exec(fs.readFileSync(TSRUN, 'utf8'));
    assert.ok(m, 'bin/tsrun lists the global flags that take a value');
    assert.deepEqual((m[1] as string).split('|').sort(), [...GLOBAL_VALUE_FLAGS].sort());
  });

  it('sets only variables the launchers export themselves', { skip: !built && 'Bun is not installed' }, () => {
    for (const [bin, args] of [
      [TSRUN, ['create', 'c1']],
      [SHIM, ['serve']],
    ] as const) {
      const text = fs.readFileSync(bin, 'utf8');
      const added = Object.keys(launch(bin, [...args], {}).env);
      assert.ok(added.length > 0, bin);
      for (const name of added) assert.match(text, new RegExp(`export ${name}=`), `${path.basename(bin)} exports ${name}`);
    }
  });

  it('finds the command word after the global flags, as bin/tsrun does', () => {
    assert.equal(commandOf(['--root', '/r', '--log', 'l.json', '--log-format', 'json', 'create', '--bundle', 'b', 'c1']), 'create');
    assert.equal(commandOf(['--debug', '--root=/r', 'start', 'c1']), 'start');
    assert.equal(commandOf(['--rootless', 'true', '--criu', 'x', 'exec', 'c1', 'sh']), 'exec');
    assert.equal(commandOf(['--help']), undefined);
    assert.equal(commandOf([]), undefined);
  });

  it('runs any other program as given', () => {
    const env = { PATH: '/bin' };
    assert.deepEqual(launch('/usr/sbin/runc', ['start', 'c1'], env), { file: '/usr/sbin/runc', args: ['start', 'c1'], env });
    assert.deepEqual(launch('/no/such/tsrun', ['state', 'c1'], env), { file: '/no/such/tsrun', args: ['state', 'c1'], env });
  });

  it('gives the compiled tsrun the defaults bin/tsrun exports', { skip: !built && 'the compiled program is not built' }, () => {
    const text = fs.readFileSync(TSRUN, 'utf8');
    const defaults = Object.fromEntries([...text.matchAll(/export (BUN_JSC_\w+)="\$\{\1-(\w+)\}"/g)].map((m) => [m[1], m[2]]));
    const { BUN_JSC_useJIT: off, ...held } = defaults;
    assert.equal(off, '0');
    assert.deepEqual(launch(TSRUN, ['create', 'c1'], {}).env, held);
    const { BUN_JSC_thresholdForJITAfterWarmUp: _a, BUN_JSC_thresholdForJITSoon: _b, ...noJit } = defaults;
    assert.deepEqual(launch(TSRUN, ['state', 'c1'], {}).env, noJit);
  });

  it('runs a launcher as given when TSRUN_ENGINE is node', () => {
    const env = { TSRUN_ENGINE: 'node' };
    assert.deepEqual(launch(TSRUN, ['state', 'c1'], env), { file: TSRUN, args: ['state', 'c1'], env });
  });

  it('runs the compiled program with the launchers environment, through symlinks too', () => {
    if (!built) {
      // without Bun (an optional dependency) there is nothing to run directly
      assert.deepEqual(launch(TSRUN, ['state', 'c1'], {}), { file: TSRUN, args: ['state', 'c1'], env: {} });
      return;
    }
    const create = launch(TSRUN, ['--root', '/r', 'create', 'c1'], { PATH: '/bin' });
    assert.deepEqual(create, {
      file: path.join(PROGRAM, 'tsrun'),
      args: ['--root', '/r', 'create', 'c1'],
      env: { PATH: '/bin', BUN_JSC_thresholdForJITAfterWarmUp: '100000', BUN_JSC_thresholdForJITSoon: '100000', BUN_JSC_useWarmUpMarkedBlocks: '0', BUN_JSC_useGC: '0' },
    });
    const exec = launch(TSRUN, ['exec', 'c1', 'sh'], { BUN_JSC_thresholdForJITSoon: '7' });
    assert.deepEqual(exec.env, { BUN_JSC_thresholdForJITAfterWarmUp: '100000', BUN_JSC_thresholdForJITSoon: '7', BUN_JSC_useWarmUpMarkedBlocks: '0' }, 'exec keeps the collector; a caller-set variable wins');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-launch-'));
    try {
      fs.symlinkSync(SHIM, path.join(dir, 'tsrun-shim'));
      assert.deepEqual(launch(path.join(dir, 'tsrun-shim'), ['serve'], {}), {
        file: path.join(PROGRAM, 'tsrun-shim'),
        args: ['serve'],
        env: { BUN_GC_TIMER_DISABLE: '1', BUN_JSC_useWarmUpMarkedBlocks: '0', BUN_JSC_numberOfGCMarkers: '1', BUN_JSC_useConcurrentGC: '0', BUN_JSC_thresholdForJITAfterWarmUp: '5000', BUN_JSC_thresholdForJITSoon: '1000' },
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
