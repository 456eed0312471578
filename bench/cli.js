// `node bench/cli.js [--runs N] [--warmup N] [--node] [--env NAME=VALUE]...` (npm run bench:cli): CPU time of each
// CLI operation a shim makes per container (create, state, start, kill, delete --force), for Debian's runc and for
// bin/tsrun on Bun (and on Node with --node), side by side in one run. Each --env adds tsrun on Bun with that variable
// set (to try an engine option, e.g. --env BUN_JSC_useJIT=1).
//
// The machine is shared, so this counts CPU rather than wall time: the task-clock of `perf stat`, which sums every
// thread of the command and the children it waited for (Bun's JIT and GC helper threads, the native stage of
// create). Without perf it falls back to the children's user+system time from /proc/self/stat (10 ms ticks, so only
// the mean over many runs means anything). Each round runs one container through its whole life per runtime,
// interleaved (runc, tsrun, ...), so that background load hits all of them alike. The container's process is
// `sleep 1000` with terminal false: create's stdio goes to /dev/null, and it keeps running until delete --force.
//
// This prints; it never asserts on timings. It exits 1 when a runtime failed an operation. Needs root and a build.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNC, TSRUN, checkPrerequisites, makeBundle, median, percentile, reportFailures } from './lib.js';

const PERF = ['/usr/bin/perf', '/usr/sbin/perf'].find((p) => existsSync(p));
const OPS = ['create', 'state', 'start', 'kill', 'delete'];

function usage(message) {
  if (message) console.error(`bench: ${message}`);
  console.error('usage: node bench/cli.js [--runs N] [--warmup N] [--node] [--env NAME=VALUE]...');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { runs: 20, warmup: 2, node: false, env: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) usage(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--runs') o.runs = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--node') o.node = true;
    else if (a === '--env' && /^\w+=/.test(argv[i + 1] ?? '')) o.env.push(argv[++i]);
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if (o.runs < 1) usage('--runs must be at least 1');
  return o;
}

/** CPU ms of the children this process has waited for so far (fields cutime + cstime of /proc/self/stat). */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

/**
 * Runs one command with its stdio on /dev/null (a created container inherits it and holds it open, so a pipe would
 * never see EOF); returns its CPU ms (task-clock under perf), or an error string.
 */
function measure(bin, args, env, perfOut) {
  if (PERF) {
    const r = spawnSync(PERF, ['stat', '-x', ',', '-o', perfOut, '-e', 'task-clock', '--', bin, ...args], { env, stdio: 'ignore' });
    if (r.status !== 0) return `exit ${r.status ?? r.signal} (rerun it by hand to see why): ${bin} ${args.join(' ')}`;
    const line = readFileSync(perfOut, 'utf8').split('\n').find((l) => l.includes(',task-clock'));
    return line ? Number(line.split(',')[0]) : 'no task-clock in perf output';
  }
  const before = childrenCpuMs();
  const r = spawnSync(bin, args, { env, stdio: 'ignore' });
  if (r.status !== 0) return `exit ${r.status ?? r.signal} (rerun it by hand to see why): ${bin} ${args.join(' ')}`;
  return childrenCpuMs() - before;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  checkPrerequisites();
  const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-cli-'));
  const bundle = join(work, 'bundle');
  makeBundle(bundle, ['sleep', '1000']);
  const runcBundle = join(work, 'bundle-runc');
  cpSync(bundle, runcBundle, { recursive: true, verbatimSymlinks: true });
  const env = { ...process.env };
  delete env.TSRUN_ENGINE;
  const runtimes = [
    { name: 'runc', bin: RUNC, root: join(work, 'root-runc'), bundle: runcBundle, env },
    { name: 'tsrun(bun)', bin: TSRUN, root: join(work, 'root-bun'), bundle, env: { ...env, TSRUN_ENGINE: 'bun' } },
  ];
  for (const kv of opts.env) {
    const eq = kv.indexOf('=');
    runtimes.push({ name: `tsrun ${kv}`, bin: TSRUN, root: join(work, `root-env${runtimes.length}`), bundle, env: { ...env, TSRUN_ENGINE: 'bun', [kv.slice(0, eq)]: kv.slice(eq + 1) } });
  }
  if (opts.node) runtimes.push({ name: 'tsrun(node)', bin: TSRUN, root: join(work, 'root-node'), bundle, env: { ...env, TSRUN_ENGINE: 'node' } });
  for (const rt of runtimes) {
    rt.samples = Object.fromEntries(OPS.map((op) => [op, []]));
    rt.used = [];
    rt.failures = 0;
  }
  const tag = `bc${process.pid}`;
  let seq = 0;
  const lifecycle = (rt, record) => {
    const id = `${tag}-${seq++}`;
    rt.used.push(id);
    const argv = {
      create: ['create', '--bundle', rt.bundle, id],
      state: ['state', id],
      start: ['start', id],
      // pid 1 ignores a SIGTERM it has no handler for, so the container keeps running for delete --force
      kill: ['kill', id, 'TERM'],
      delete: ['delete', '--force', id],
    };
    for (const op of OPS) {
      const ms = measure(rt.bin, ['--root', rt.root, ...argv[op]], rt.env, join(work, 'perf.out'));
      if (typeof ms === 'string') {
        rt.failures++;
        rt.firstError ??= `${op}: ${ms}`;
        return;
      }
      if (record) rt.samples[op].push(ms);
    }
  };

  try {
    process.stderr.write(`bench: ${opts.warmup} warmup + ${opts.runs} interleaved lifecycles of ${runtimes.map((r) => r.name).join(', ')}, ${PERF ? 'perf task-clock' : '/proc rusage'}\n`);
    for (let round = 0; round < opts.warmup + opts.runs; round++) {
      for (const rt of runtimes) lifecycle(rt, round >= opts.warmup);
    }
  } finally {
    for (const rt of runtimes) {
      for (const id of rt.used) spawnSync(rt.bin, ['--root', rt.root, 'delete', '--force', id], { env: rt.env, stdio: 'ignore' });
    }
    rmSync(work, { recursive: true, force: true });
  }

  const cell = (samples) => {
    if (!samples.length) return '-';
    const s = [...samples].sort((a, b) => a - b);
    return `${median(s).toFixed(1)} / ${percentile(s, 90).toFixed(1)}`;
  };
  console.log(`CPU ms per operation (median / p90 of ${opts.runs} runs, ${PERF ? 'perf task-clock' : 'children rusage'}):`);
  const width = (rt) => Math.max(14, rt.name.length);
  console.log(['op'.padEnd(8), ...runtimes.map((rt) => rt.name.padEnd(width(rt)))].join(' '));
  for (const op of OPS) console.log([op.padEnd(8), ...runtimes.map((rt) => cell(rt.samples[op]).padEnd(width(rt)))].join(' '));
  reportFailures(runtimes, 'lifecycle(s)');
}

main();
