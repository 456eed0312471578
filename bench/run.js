// `node bench/run.js [--runs N] [--warmup N]` (npm run bench): wall time of `run` of a busybox container
// whose process is `true`, for Debian's runc and for bin/tsrun on Bun (default engine) and on Node
// (TSRUN_ENGINE=node), side by side in one process.
//
// The runtimes are interleaved (runc, tsrun-bun, tsrun-node, runc, ...) so that a noisy machine slows all of them
// alike; every run uses its own container id and each runtime its own --root. Timing is process.hrtime around a
// synchronous spawn (hyperfine runs each command in one block, so it cannot interleave; its per-spawn overhead is the
// same as ours). Warmup rounds come first and are not counted.
//
// This prints; it never asserts on timings. It exits 1 only when a runtime failed to run the container.
// Needs root (like runc) and a build (npm run build).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNC, TSRUN, checkPrerequisites, makeBundle, report, reportFailures } from './lib.js';

function usage(message) {
  if (message) console.error(`bench: ${message}`);
  console.error('usage: node bench/run.js [--runs N] [--warmup N]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { runs: 20, warmup: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) usage(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--runs') o.runs = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if (o.runs < 1) usage('--runs must be at least 1');
  return o;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  checkPrerequisites();
  const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-'));
  const bundle = join(work, 'bundle');
  makeBundle(bundle);
  // runc refuses a rootfs reached through a symlink; the bundle above holds a real directory, but keep runc's bundle
  // a copy of its own so neither runtime can see what the other left in it.
  const runcBundle = join(work, 'bundle-runc');
  cpSync(bundle, runcBundle, { recursive: true, verbatimSymlinks: true });
  const tag = `b${process.pid}`;
  const env = { ...process.env };
  delete env.TSRUN_ENGINE;

  const runtimes = [
    { name: 'runc', bin: RUNC, root: join(work, 'root-runc'), bundle: runcBundle, env, used: [] },
    { name: 'tsrun(bun)', bin: TSRUN, root: join(work, 'root-bun'), bundle, env: { ...env, TSRUN_ENGINE: 'bun' }, used: [] },
    { name: 'tsrun(node)', bin: TSRUN, root: join(work, 'root-node'), bundle, env: { ...env, TSRUN_ENGINE: 'node' }, used: [] },
  ];
  for (const rt of runtimes) {
    rt.samples = [];
    rt.failures = 0;
    rt.firstError = undefined;
  }

  let seq = 0;
  const runOnce = (rt, record) => {
    const id = `${tag}-${rt.name.replace(/[()]/g, '')}-${seq++}`;
    rt.used.push(id);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(rt.bin, ['--root', rt.root, 'run', '--bundle', rt.bundle, id], { cwd: rt.bundle, env: rt.env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      rt.failures++;
      rt.firstError ??= `exit ${r.status ?? r.signal}: ${(r.stderr || String(r.error ?? '')).trim()}`;
      return;
    }
    if (record) rt.samples.push(ms);
  };

  try {
    const total = opts.warmup + opts.runs;
    process.stderr.write(`bench: ${opts.warmup} warmup + ${opts.runs} interleaved rounds of ${runtimes.map((r) => r.name).join(', ')}\n`);
    for (let round = 0; round < total; round++) {
      const record = round >= opts.warmup;
      for (const rt of runtimes) runOnce(rt, record);
    }
  } finally {
    // A failed run can leave a container behind: delete --force every id used (a no-op for the ones already gone).
    for (const rt of runtimes) {
      for (const id of rt.used) spawnSync(rt.bin, ['--root', rt.root, 'delete', '--force', id], { env: rt.env, stdio: 'ignore' });
    }
    rmSync(work, { recursive: true, force: true });
  }

  report(`container: busybox \`true\`; ${opts.runs} runs per runtime after ${opts.warmup} warmup rounds, interleaved`, 'run', runtimes);
  reportFailures(runtimes, 'run(s)');
}

main();
