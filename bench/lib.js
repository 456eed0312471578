// Shared by the benchmarks: prerequisites, the busybox bundle, and the side-by-side report (median, p90, ratio to runc).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const top = dirname(dirname(fileURLToPath(import.meta.url)));
export const RUNC = '/usr/sbin/runc';
export const TSRUN = join(top, 'bin', 'tsrun');

export function percentile(sorted, p) {
  // nearest rank: the smallest value with at least p% of the samples at or below it
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export function checkPrerequisites() {
  const problems = [];
  if (process.getuid?.() !== 0) problems.push('needs root (runc and tsrun create namespaces and cgroups)');
  if (!existsSync(RUNC)) problems.push(`${RUNC} not found (apt-get install runc)`);
  if (!existsSync(join(top, 'dist', 'runtime', 'src', 'cli', 'main.js')) || !existsSync(join(top, 'dist', 'native', 'tsrun-init'))) {
    problems.push('tsrun is not built (npm run build)');
  }
  if (!existsSync(join(top, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun'))) {
    problems.push('Bun is not installed (node_modules/@oven/bun-linux-x64): tsrun(bun) would silently run on Node');
  }
  if (problems.length) {
    for (const p of problems) console.error(`bench: ${p}`);
    process.exit(1);
  }
}

/** A busybox bundle in dir whose process runs `args` (default: true). */
export function makeBundle(dir, args = ['true']) {
  const r = spawnSync('sh', [join(top, 'scripts', 'make-rootfs.sh'), join(dir, 'rootfs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-rootfs.sh failed: ${r.stderr || r.error}`);
  const config = JSON.parse(readFileSync(join(top, 'examples', 'busybox', 'config.json'), 'utf8'));
  config.process.args = args;
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}


const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return s.length ? { median: median(s), p90: percentile(s, 90), min: s[0], n: s.length } : undefined;
};
const fmt = (v) => `${v.toFixed(1)} ms`;

/** Prints one line per runtime ({name, samples}); the first is runc, the others get their ratio to it. */
export function report(title, verb, runtimes) {
  const runc = stats(runtimes[0].samples);
  console.log(title);
  for (const rt of runtimes) {
    const s = stats(rt.samples);
    if (!s) {
      console.log(`${rt.name} ${verb}: no successful runs`);
      continue;
    }
    let line = `${rt.name} ${verb}: median ${fmt(s.median)}`;
    if (rt !== runtimes[0] && runc) line += ` (${(s.median / runc.median).toFixed(2)}x runc ${fmt(runc.median)})`;
    line += `, p90 ${fmt(s.p90)}`;
    if (rt !== runtimes[0] && runc) line += ` (${(s.p90 / runc.p90).toFixed(2)}x runc ${fmt(runc.p90)})`;
    line += `, min ${fmt(s.min)}, n=${s.n}`;
    console.log(line);
  }
}

/** Prints each runtime's failed runs (count and first error) and sets the exit status: 1 if any failed. */
export function reportFailures(runtimes, what) {
  let failed = false;
  for (const rt of runtimes) {
    if (!rt.failures) continue;
    failed = true;
    console.log(`${rt.name}: ${rt.failures} failed ${what}; first: ${rt.firstError}`);
  }
  process.exitCode = failed ? 1 : 0;
}

/**
 * ctr keeps each task's fifos in a directory of /run/containerd/fifo and never removes it. Call before the first
 * ctr; the function it returns removes the directories that appeared since (ours), leaving any that were there.
 */
export function ctrFifoCleaner() {
  const dir = '/run/containerd/fifo';
  const list = () => (existsSync(dir) ? readdirSync(dir) : []);
  const before = new Set(list());
  return () => {
    for (const d of list().filter((f) => !before.has(f))) rmSync(join(dir, d), { recursive: true, force: true });
  };
}
