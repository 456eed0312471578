// Shared by the shim benchmarks (shim-memory.js, shim-log.js): busybox bundles, and one container under each
// shim: tsrun-shim (through `tsrun-shim start` and its client), conmon (run directly with runc as its runtime, as
// podman runs it), containerd-shim-runc-v2 (under a private containerd, through ctr). Every starter returns
// { pid, stop() }: pid is the shim's, stop() kills the container and removes what it made.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { RUNC, ctrFifoCleaner, top } from './lib.js';

export const SHIM = join(top, 'bin', 'tsrun-shim');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Which of the other shims are installed (a missing one is reported, not fatal). */
export function which(cmd) {
  for (const dir of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (fs.existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/** PSS and private dirty memory of a process, in kB (/proc/<pid>/smaps_rollup). */
export function memoryOf(pid) {
  const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number(t.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN);
  return { pss: kb('Pss'), privateDirty: kb('Private_Dirty') };
}

let template;
/** A busybox bundle at dir running args (the rootfs copied from one template per process). */
export function makeBundle(work, dir, args) {
  if (!template) {
    template = join(work, 'rootfs-template');
    execFileSync('sh', [join(top, 'scripts', 'make-rootfs.sh'), template]);
  }
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('cp', ['-a', template, join(dir, 'rootfs')]);
  const config = JSON.parse(fs.readFileSync(join(top, 'examples', 'busybox', 'config.json'), 'utf8'));
  config.process.args = args;
  fs.writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

let clientModule;
/** A container under its own tsrun-shim: `tsrun-shim start`, then Create (and Start unless start is false)
 * through ShimClient. Its log is <stateDir>/<id>.log. */
export async function startTsrunShim(work, id, bundle, env = process.env, start = true) {
  clientModule ??= await import(join(top, 'dist', 'shim', 'src', 'client.js'));
  const stateDir = join(work, `${id}.state`);
  const runtimeRoot = join(work, 'tsrun-root');
  const args = ['--id', id, '--bundle', bundle, '--state-dir', stateDir, '--runtime-root', runtimeRoot];
  const r = spawnSync(SHIM, ['start', ...args, '--namespace', 'bench'], { encoding: 'utf8', env, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`tsrun-shim start ${id}: ${r.stderr || r.error}`);
  const pid = Number(fs.readFileSync(join(bundle, 'shim.pid'), 'utf8'));
  const client = await clientModule.ShimClient.connect(r.stdout.trim());
  const stop = async () => {
    try {
      await client.kill({ id, signal: 9, all: true }).catch(() => {});
      await client.wait({ id }).catch(() => {});
      await client.delete({ id }).catch(() => {});
      await client.shutdown({ id, now: true }).catch(() => {});
    } finally {
      client.close();
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
      spawnSync(SHIM, ['delete', ...args], { env, stdio: 'ignore', timeout: 30_000 });
    }
  };
  try {
    await client.create({ id, bundle });
    if (start) await client.start({ id });
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid, client, log: join(stateDir, `${id}.log`), stop };
}

/** A container under conmon (k8s-file log at <bundle>/ctr.log, exit file in <work>/exits), runc as the runtime. */
export async function startConmon(work, id, bundle) {
  const runcRoot = join(work, 'runc-root');
  const exits = join(work, 'exits');
  fs.mkdirSync(exits, { recursive: true });
  fs.mkdirSync(join(work, 'sockets'), { recursive: true });
  const pidFile = join(bundle, 'conmon.pid');
  const args = [
    '--api-version', '1', '-c', id, '-u', id, '-n', id, '-r', RUNC, '-b', bundle,
    '-p', join(bundle, 'pidfile'), '-P', pidFile, '-l', `k8s-file:${join(bundle, 'ctr.log')}`,
    '--exit-dir', exits, '--socket-dir-path', join(work, 'sockets'), '--runtime-arg', `--root=${runcRoot}`,
    '--log-level', 'error', '--no-sync-log',
  ];
  const c = spawnSync('conmon', args, { encoding: 'utf8', timeout: 30_000, cwd: bundle });
  const runc = (...a) => spawnSync(RUNC, ['--root', runcRoot, ...a], { encoding: 'utf8', timeout: 30_000 });
  const stop = async () => {
    runc('kill', id, 'KILL');
    for (let i = 0; i < 50 && !fs.existsSync(join(exits, id)); i++) await sleep(100);
    runc('delete', '--force', id);
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // conmon has gone with its container
    }
  };
  // conmon returns once it has forked; the container exists when runc has written its pid file
  for (let i = 0; i < 100 && c.status === 0 && !fs.existsSync(join(bundle, 'pidfile')); i++) await sleep(50);
  if (c.status !== 0 || !fs.existsSync(pidFile) || !fs.existsSync(join(bundle, 'pidfile'))) {
    await stop();
    throw new Error(`conmon ${id}: exit ${c.status}: ${c.stderr}`);
  }
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  return {
    pid,
    exitFile: join(exits, id),
    log: join(bundle, 'ctr.log'),
    start: () => {
      const s = runc('start', id);
      if (s.status !== 0) throw new Error(`runc start ${id}: ${s.stderr}`);
    },
    stop,
  };
}

function kill(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function childrenOf(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function removeEmptyDirs(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeEmptyDirs(join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty
  }
}

const NS = 'tsrun-bench';
const IMAGE = 'tsrun.bench/busybox:latest';

/** A private containerd (own root, state and socket; no CRI) with the busybox image imported. */
export async function privateContainerd(work) {
  const tmp = join(work, 'containerd');
  fs.mkdirSync(tmp);
  const sock = join(tmp, 'containerd.sock');
  const hadRun = fs.existsSync('/run/containerd');
  const removeFifos = ctrFifoCleaner();
  fs.writeFileSync(join(tmp, 'config.toml'), [
    'version = 2', `root = ${JSON.stringify(join(tmp, 'root'))}`, `state = ${JSON.stringify(join(tmp, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
    '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",',
    '  "io.containerd.internal.v1.tracing"]',
    '[grpc]', `  address = ${JSON.stringify(sock)}`, '[ttrpc]', `  address = ${JSON.stringify(`${sock}.ttrpc`)}`,
    '[debug]', '  address = ""', '[metrics]', '  address = ""', '',
  ].join('\n'));
  const log = fs.openSync(join(tmp, 'containerd.log'), 'w');
  const daemon = spawn('containerd', ['--config', join(tmp, 'config.toml')], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const ctr = (args, timeout = 60_000) => spawnSync('ctr', ['--address', sock, '-n', NS, ...args], { encoding: 'utf8', timeout, input: '', killSignal: 'SIGKILL' });
  // runc's state in a root of our own: /run/containerd is shared with anyone else's containerd on this host
  const ids = [];
  const shimPids = () => {
    const pids = [];
    for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        if (cmd.includes('containerd-shim-runc-v2\0') && cmd.includes(`\0${sock}\0`)) pids.push(Number(p));
      } catch {
        // gone
      }
    }
    return pids;
  };
  const stop = async () => {
    for (const id of ids) ctr(['task', 'kill', '-a', '-s', 'KILL', id], 10_000);
    await sleep(500);
    for (const id of ids) {
      ctr(['task', 'delete', '--force', id], 10_000);
      ctr(['container', 'delete', id], 10_000);
    }
    ctr(['images', 'rm', IMAGE], 10_000);
    // anything left (a task that would not delete): its processes, then its shim, by pid
    for (const pid of shimPids()) {
      for (const child of childrenOf(pid)) kill(child);
      kill(pid);
    }
    daemon.kill('SIGTERM');
    for (let i = 0; i < 50 && daemon.exitCode === null; i++) await sleep(100);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m === tmp || m.startsWith(`${tmp}/`)).sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    for (const ctl of fs.readdirSync('/sys/fs/cgroup')) {
      for (const id of ids) {
        try {
          fs.rmdirSync(join('/sys/fs/cgroup', ctl, NS, id));
        } catch {
          // absent
        }
      }
      try {
        fs.rmdirSync(join('/sys/fs/cgroup', ctl, NS));
      } catch {
        // absent or in use
      }
    }
    // containerd's shims and ctr make /run/containerd whatever the config says: remove what is left of it when it
    // was not there before, but only empty directories (another containerd may be using it meanwhile)
    removeFifos();
    if (!hadRun) removeEmptyDirs('/run/containerd');
  };
  for (let i = 0; ctr(['version'], 5000).status !== 0; i++) {
    if (i > 200 || daemon.exitCode !== null) {
      await stop();
      throw new Error(`containerd did not start: ${fs.readFileSync(join(tmp, 'containerd.log'), 'utf8').slice(-2000)}`);
    }
    await sleep(100);
  }
  const tar = join(tmp, 'busybox.tar');
  execFileSync(join(top, 'scripts', 'engines', 'busybox-image.sh'), [tar]);
  const imp = ctr(['images', 'import', '--base-name', 'tsrun.bench/busybox', tar]);
  if (imp.status !== 0) {
    await stop();
    throw new Error(`ctr images import: ${imp.stderr}`);
  }
  return {
    /** `ctr run -d`: a detached task under its own containerd-shim-runc-v2 (runc from PATH). */
    run(id, args) {
      ids.push(id);
      const r = ctr(['run', '-d', '--runc-root', join(tmp, 'runc'), IMAGE, id, ...args]);
      if (r.status !== 0) throw new Error(`ctr run ${id}: ${r.stderr}`);
    },
    shimPids,
    stop,
  };
}
