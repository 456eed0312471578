// `node bench/exec.js [--runs N]` (npm run bench:exec): wall time of `exec <id> true` into a running busybox
// container, for Debian's runc and for bin/tsrun on Bun and on Node, interleaved, with the ratio to runc.
// Each runtime gets its own container (sleep) and --root. Prints; never asserts on timings.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNC, TSRUN, checkPrerequisites, makeBundle, report } from './lib.js';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: node bench/exec.js [--runs N]');
  process.exit(2);
}
checkPrerequisites();

const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-exec-'));
const env = { ...process.env };
delete env.TSRUN_ENGINE;
const runtimes = [
  { name: 'runc', bin: RUNC, env },
  { name: 'tsrun(bun)', bin: TSRUN, env: { ...env, TSRUN_ENGINE: 'bun' } },
  { name: 'tsrun(node)', bin: TSRUN, env: { ...env, TSRUN_ENGINE: 'node' } },
];
let failed = false;
try {
  makeBundle(join(work, 'bundle'), ['sleep', '1000']);
  for (const [i, rt] of runtimes.entries()) {
    rt.root = join(work, `root-${i}`);
    rt.bundle = join(work, `bundle-${i}`);
    rt.id = `bx${process.pid}-${i}`;
    rt.samples = [];
    cpSync(join(work, 'bundle'), rt.bundle, { recursive: true, verbatimSymlinks: true });
    const r = spawnSync(rt.bin, ['--root', rt.root, 'run', '-d', '--bundle', rt.bundle, rt.id], { env: rt.env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${rt.name}: run -d failed`);
  }
  for (let round = 0; round < runs + 3; round++) {
    for (const rt of runtimes) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(rt.bin, ['--root', rt.root, 'exec', rt.id, 'true'], { env: rt.env, stdio: 'ignore' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) {
        failed = true;
        console.error(`${rt.name}: exec failed with ${r.status ?? r.signal}`);
      } else if (round >= 3) rt.samples.push(ms);
    }
  }
  report(`exec \`true\` into a running busybox container; ${runs} runs per runtime after 3 warmup rounds, interleaved`, 'exec', runtimes);
} finally {
  for (const rt of runtimes) if (rt.root) spawnSync(rt.bin, ['--root', rt.root, 'delete', '--force', rt.id], { env: rt.env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
