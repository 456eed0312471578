// runtime/src/linux/libc.ts's two bindings: on Bun, with the environment the launchers give tsrun, the calls create
// and delete make (socketpair, mkfifo, flock) go through bun:ffi and koffi is never loaded; with the JIT off, or on
// Node, through koffi. Each run checks that the calls work (a message through the pair, a fifo on disk, a lock held).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { launch } from '../../runtime/src/launch.js';

const TOP = path.resolve(decodeURIComponent(new URL('.', import.meta.url).pathname), '../../..');
const BUN = path.join(TOP, 'node_modules/@oven/bun-linux-x64/bin/bun');
const TSRUN = path.join(TOP, 'bin/tsrun');
const LIBC = path.join(TOP, 'dist/runtime/src/linux/libc.js');

const SCRIPT = `
import * as fs from 'node:fs';
import { libc, rawLibc } from ${JSON.stringify(LIBC)};
const dir = process.argv.at(-1);
const [a, b] = libc.socketpair();
fs.writeSync(a, 'ping');
const buf = Buffer.alloc(8);
const n = fs.readSync(b, buf, 0, 8, null);
libc.mkfifo(dir + '/fifo', 0o600);
const lockFd = fs.openSync(dir, 'r');
libc.flockExclusive(lockFd, dir);
let error = '';
try { libc.mkfifo(dir + '/fifo', 0o600); } catch (e) { error = e.message; }
const koffi = fs.readFileSync('/proc/self/maps', 'utf8').includes('koffi.node');
console.log(JSON.stringify({ via: rawLibc().via, got: buf.toString('utf8', 0, n), fifo: fs.statSync(dir + '/fifo').isFIFO(), error, koffi }));
`;

function runIn(engine: string, env: NodeJS.ProcessEnv): { via: string; got: string; fifo: boolean; error: string; koffi: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-libc-'));
  try {
    const script = path.join(dir, 'probe.mjs');
    fs.writeFileSync(script, SCRIPT);
    const r = spawnSync(engine, [script, dir], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    // the fifo exists already the second time: the error names the call, the path and errno
    assert.equal(out.error, `mkfifo ${dir}/fifo: EEXIST (file exists)`);
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('libc bindings', () => {
  it('on Node: koffi', () => {
    const out = runIn(process.execPath, process.env);
    assert.deepEqual({ ...out, error: '' }, { via: 'koffi', got: 'ping', fifo: true, error: '', koffi: true });
  });

  it('on Bun with the launchers environment: bun:ffi, and no koffi loaded; with the JIT off: koffi', { skip: !fs.existsSync(BUN) && 'Bun is not installed' }, () => {
    const env = { ...process.env, ...launch(TSRUN, ['create', 'x'], {}).env };
    assert.ok(!env.BUN_JSC_useJIT, 'the launchers leave the JIT on (bun:ffi needs it)');
    assert.deepEqual({ ...runIn(BUN, env), error: '' }, { via: 'bun:ffi', got: 'ping', fifo: true, error: '', koffi: false });
    assert.deepEqual({ ...runIn(BUN, { ...env, BUN_JSC_useJIT: '0' }), error: '' }, { via: 'koffi', got: 'ping', fifo: true, error: '', koffi: true });
  });
});
