// `node bench/tsrund.js [--containers N] [--concurrency C]` (npm run bench:tsrund): how fast containers get
// running through tsrund, side by side with containerd 1.6 + runc (Debian packages) in the same run.
//
// For each engine, N containers (busybox `sleep`, on the example rootfs as a plain directory, so neither engine
// prepares a snapshot) are taken from nothing to running, C at a time; per container the time from the first
// request to "running" (p50/p99), and containers per second over the whole batch. Engines:
//   tsrund (gRPC API)       Containers.Create + Tasks.Create + Tasks.Start from this process (an engine's view)
//   tsrund (tsctl run -d)   one tsctl process per container (as a person or a script would)
//   containerd (gRPC API)   the same three calls to containerd 1.6 (+ containerd-shim-runc-v2 + runc) from this
//                           process, on the same spec (bench/containerd-api.js; protos from Debian's -dev package)
//   containerd (ctr run -d) `ctr run -d --rootfs DIR`: one Go client process per container
// Each row is compared with the containerd row that takes the same path: API with API, CLI with CLI. A CLI row's
// CPU includes its client process's (ctr's is about a third of its row), an API row's this process's share.
// Every engine gets a private daemon (own socket, root and state under a temp directory), and everything is
// killed and deleted between engines (not timed). Prints; never asserts on timings. Needs root and a build.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerdClient, containerdProtos } from './containerd-api.js';
import { ctrFifoCleaner, percentile, median, top } from './lib.js';

const ROOTFS = join(top, 'examples', 'busybox', 'rootfs');
const NS = 'tsrund-bench';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function usage(message) {
  if (message) console.error(`bench: ${message}`);
  console.error('usage: node bench/tsrund.js [--containers N] [--concurrency C]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { containers: 100, concurrency: 10 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer`);
    if (a === '--containers') o.containers = v;
    else if (a === '--concurrency') o.concurrency = v;
    else usage(`unknown argument ${a}`);
  }
  return o;
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (status) => resolve({ status, err }));
  });
}

/** CPU time the whole machine spent (user, system, irq), in ms: the run is CPU-bound on a small machine. */
function busyMs() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] + f[1] + f[2] + f[5] + f[6]) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Runs start(i) for i < n, c at a time; returns per-item milliseconds, the wall time and the machine's CPU time. */
async function batch(n, c, start) {
  const samples = [];
  let next = 0;
  const cpu0 = busyMs();
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      await start(i);
      samples.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(c, n) }, worker));
  return { samples, wall: performance.now() - t0, cpu: busyMs() - cpu0 };
}

async function waitFor(what, fn, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function tsrundEngine(work, o) {
  const { TsrundClient } = await import('../dist/supervisor/src/client.js');
  const dir = join(work, 'tsrund');
  const sock = join(dir, 's.sock');
  const daemon = spawn(join(top, 'bin', 'tsrund'), ['--address', sock, '--root', join(dir, 'root'), '--state', join(o.run, 'tsrund')], { stdio: 'ignore' });
  const c = new TsrundClient(sock, { namespace: NS });
  await waitFor('tsrund', () => c.version.Version({}).then(() => true, () => false));
  const spec = JSON.parse(readFileSync(join(top, 'examples', 'busybox', 'config.json'), 'utf8'));
  spec.process.args = ['sleep', '1000'];
  const ids = [];
  const results = [];
  try {
    const api = await batch(o.containers, o.concurrency, async (i) => {
      const id = `api-${i}`;
      ids.push(id);
      await c.containers.Create({ container: { id, spec: JSON.stringify(spec), rootfs: { path: ROOTFS } } });
      await c.tasks.Create({ containerId: id });
      await c.tasks.Start({ containerId: id });
    });
    results.push({ name: 'tsrund (gRPC API)', ...api });
    const tsctl = join(top, 'bin', 'tsctl');
    const cli = await batch(o.containers, o.concurrency, async (i) => {
      const id = `ctl-${i}`;
      ids.push(id);
      const r = await run(tsctl, ['--address', sock, '--namespace', NS, 'run', '-d', ROOTFS, id, '--', 'sleep', '1000']);
      if (r.status !== 0) throw new Error(`tsctl run ${id}: ${r.err.trim()}`);
    });
    results.push({ name: 'tsrund (tsctl run -d)', ...cli });
  } finally {
    await Promise.all(ids.map(async (id) => {
      await c.tasks.Kill({ containerId: id, signal: 9 }).catch(() => undefined);
      await c.tasks.Wait({ containerId: id }).catch(() => undefined);
      await c.tasks.Delete({ containerId: id }).catch(() => undefined);
      await c.containers.Delete({ id }).catch(() => undefined);
    }));
    c.close();
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
  return results;
}

async function containerdEngine(work, o) {
  const dir = join(work, 'containerd');
  const sock = join(dir, 'c.sock');
  const config = [
    'version = 2',
    `root = ${JSON.stringify(join(dir, 'root'))}`,
    `state = ${JSON.stringify(join(o.run, 'containerd'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
    '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",',
    '  "io.containerd.internal.v1.tracing"]',
    `[grpc]\n  address = ${JSON.stringify(sock)}`,
    `[ttrpc]\n  address = ${JSON.stringify(sock + '.ttrpc')}`,
    '[debug]\n  address = ""',
    '[metrics]\n  address = ""',
    '',
  ].join('\n');
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'config.toml'), config);
  const daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
  const ctr = (args) => run('ctr', ['--address', sock, '-n', NS, ...args]);
  await waitFor('containerd', async () => (await ctr(['version'])).status === 0);
  const api = containerdClient(o.protos, sock, NS);
  const spec = JSON.parse(readFileSync(join(top, 'examples', 'busybox', 'config.json'), 'utf8'));
  spec.process.args = ['sleep', '1000'];
  spec.root.path = ROOTFS;
  const ids = [];
  const apiIds = [];
  const results = [];
  try {
    const viaApi = await batch(o.containers, o.concurrency, async (i) => {
      const id = `api-${i}`;
      apiIds.push(id);
      await api.run(id, { ...spec, linux: { ...spec.linux, cgroupsPath: `/${NS}/${id}` } }); // ctr's default path
    });
    results.push({ name: 'containerd 1.6 + runc (gRPC API)', ...viaApi });
    const viaCtr = await batch(o.containers, o.concurrency, async (i) => {
      const id = `ctr-${i}`;
      ids.push(id);
      // without an image there is no PATH in ctr's spec: name the program by its path
      const res = await ctr(['run', '-d', '--rootfs', ROOTFS, id, '/bin/sleep', '1000']);
      if (res.status !== 0) throw new Error(`ctr run ${id}: ${res.err.trim()}`);
    });
    results.push({ name: 'containerd 1.6 + runc (ctr run -d)', ...viaCtr });
    return results;
  } finally {
    await Promise.all(apiIds.map((id) => api.remove(id)));
    api.close();
    await Promise.all(ids.map(async (id) => {
      await ctr(['task', 'kill', '-s', 'KILL', id]);
      await ctr(['task', 'delete', '--force', id]);
      await ctr(['container', 'delete', id]);
    }));
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
}

function removeCgroups(names) {
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    for (const n of names) {
      try {
        rmdirSync(join('/sys/fs/cgroup', ctl, ...n));
      } catch {
        // absent or busy
      }
    }
  }
}

/** The row of containerd that takes the same path as r: its API for an API client, ctr for a CLI per container. */
function baseline(results, r) {
  const api = r.name.includes('API');
  return results.find((b) => b.name.startsWith('containerd') && b.name.includes('API') === api);
}

function print(results, o) {
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  const sorted = (r) => [...r.samples].sort((a, b) => a - b);
  const rate = (r) => (r.samples.length / r.wall) * 1000;
  const cpu = (r) => r.cpu / r.samples.length;
  console.log(`${o.containers} containers, ${o.concurrency} at a time: from the first request to running`);
  for (const r of results) {
    let line = `${r.name.padEnd(36)} ${rate(r).toFixed(1).padStart(6)} containers/s, p50 ${fmt(median(sorted(r)))}, p99 ${fmt(percentile(sorted(r), 99))}, CPU ${cpu(r).toFixed(0)} ms/container`;
    const base = baseline(results, r);
    if (base && r !== base) {
      line += ` (against ${base.name.replace(/^containerd.*\(/, '').replace(')', '')}: ${(rate(r) / rate(base)).toFixed(2)}x the rate, ${(cpu(r) / cpu(base)).toFixed(2)}x the CPU)`;
    }
    console.log(line);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const missing = [];
  if (process.getuid?.() !== 0) missing.push('needs root');
  if (!existsSync(join(ROOTFS, 'bin', 'sh'))) missing.push('no example rootfs (scripts/setup.sh)');
  if (!existsSync(join(top, 'dist', 'supervisor', 'src', 'client.js'))) missing.push('not built (npm run build)');
  for (const b of ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc']) if (spawnSync('which', [b]).status !== 0) missing.push(`${b} not installed (apt-get install containerd runc)`);
  if (missing.length) usage(missing.join('; '));
  const hadRunContainerd = existsSync('/run/containerd');
  const removeFifos = ctrFifoCleaner();
  const work = mkdtempSync(join(tmpdir(), 'tsrund-bench-'));
  // State (sockets, bundles, task records, the runtimes' state.json) on a tmpfs, as /run is in production, for both
  // engines: some machines have /run on disk. containerd's shim keeps runc's state in /run/containerd/runc whatever
  // the config says, so that gets a tmpfs too unless a containerd of the system already uses it. Metadata (tsrund's
  // --root, containerd's root) stays on disk in both.
  o.run = mkdtempSync('/run/tsrund-bench-');
  const tmpfs = [o.run];
  if (!hadRunContainerd) tmpfs.push('/run/containerd');
  const mounted = [];
  const results = [];
  try {
    for (const dir of tmpfs) {
      mkdirSync(dir, { recursive: true, mode: 0o711 });
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0711', 'tmpfs', dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mount -t tmpfs tmpfs ${dir}: ${r.stderr.trim()}`);
      mounted.push(dir);
    }
    o.protos = containerdProtos(work);
    results.push(...(await tsrundEngine(work, o)));
    results.push(...(await containerdEngine(work, o)));
  } finally {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(work + '/') || m.startsWith(o.run + '/') || (!hadRunContainerd && m.startsWith('/run/containerd/')));
    for (const m of [...mounts, ...mounted].sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
    removeCgroups([['tsrund', NS], ['tsrund'], [NS]]);
    rmSync(work, { recursive: true, force: true });
    rmSync(o.run, { recursive: true, force: true });
    if (!hadRunContainerd) rmSync('/run/containerd', { recursive: true, force: true });
    else removeFifos();
  }
  print(results, o);
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exit(1);
});
