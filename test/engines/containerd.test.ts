// tsrun as a drop-in for runc under containerd 1.6 and its runc v2 shim (containerd-shim-runc-v2):
// a private containerd (own root, state, socket; no CRI, no network), a busybox image imported from an OCI
// archive built locally (scripts/engines/busybox-image.sh), and `ctr run --runc-binary bin/tsrun ...`.
// Needs root and Debian's containerd package (containerd, ctr, containerd-shim-runc-v2); `ctr task exec -t`
// also needs script(1) (bsdutils) for a terminal. Skips with the reason otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { which, alive } from '../helpers/bundle.js';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs as dist/test/engines/containerd.test.js. */
const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const TSRUN = path.join(REPO, 'bin', 'tsrun');
/** The runtime the shim runs: bin/tsrun; CONTAINERD_RUNTIME=/usr/sbin/runc runs the same checks against runc. */
const RUNTIME = process.env.CONTAINERD_RUNTIME || TSRUN;
const isTsrun = RUNTIME === TSRUN;
const NS = 'tsrun-test';
const IMAGE = 'tsrun.test/busybox:latest';

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'not root';
  const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2'].filter((c) => !which(c));
  if (missing.length) return `${missing.join(', ')} not installed (apt-get install containerd)`;
  return false;
}
const skip = skipReason();
const noScript = which('script') ? false : 'script(1) not installed (bsdutils): ctr task exec -t needs a terminal';

interface Res {
  status: number | null;
  out: string;
  err: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe(`containerd 1.6 + runc v2 shim with --runc-binary ${isTsrun ? 'tsrun' : RUNTIME}`, { skip }, () => {
  let tmp = '';
  let sock = '';
  let runcRoot = '';
  let daemon: ChildProcess | undefined;
  const ids: string[] = [];
  const hadRunContainerd = fs.existsSync('/run/containerd');
  // ctr keeps each task's and exec's fifos in a directory of /run/containerd/fifo and never removes it: the ones
  // that appear during these tests are ours to remove when /run/containerd itself stays
  const FIFOS = '/run/containerd/fifo';
  const listFifos = (): string[] => (fs.existsSync(FIFOS) ? fs.readdirSync(FIFOS) : []);
  const fifosBefore = new Set(listFifos());
  let n = 0;
  const newId = (): string => {
    const id = `tsrun-${process.pid}-${++n}`;
    ids.push(id);
    return id;
  };

  const ctr = (args: string[], timeout = 60_000): Res => {
    const r = spawnSync('ctr', ['--address', sock, '-n', NS, ...args], { encoding: 'utf8', timeout, input: '', killSignal: 'SIGKILL' });
    return { status: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  };
  const run = (args: string[]): Res => ctr(['run', '--runc-binary', RUNTIME, '--runc-root', runcRoot, ...args]);
  const taskStatus = (id: string): string | undefined => {
    const line = ctr(['task', 'ls']).out.split('\n').find((l) => l.split(/\s+/)[0] === id);
    return line?.trim().split(/\s+/)[2];
  };
  const taskPid = (id: string): number => Number(ctr(['task', 'ls']).out.split('\n').find((l) => l.split(/\s+/)[0] === id)?.trim().split(/\s+/)[1]);
  async function waitStatus(id: string, want: string, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    let st: string | undefined;
    while (Date.now() < end) {
      st = taskStatus(id);
      if (st === want) return;
      await sleep(100);
    }
    assert.fail(`task ${id} is ${st}, not ${want}, after ${ms} ms`);
  }
  /** tsrun's state file, written where the shim pointed --root: <runc-root>/<namespace>/<id>/state.json. */
  const tsrunState = (id: string): { pid: number; cgroupPaths: Record<string, string> } =>
    JSON.parse(fs.readFileSync(path.join(runcRoot, NS, id, 'state.json'), 'utf8'));
  /** The container's cgroup directories (tsrun's cgroupPaths; runc 1.1's state.json calls them cgroup_paths). */
  const cgroupPaths = (id: string): Record<string, string> => {
    const st = JSON.parse(fs.readFileSync(path.join(runcRoot, NS, id, 'state.json'), 'utf8')) as {
      cgroupPaths?: Record<string, string>;
      cgroup_paths?: Record<string, string>;
    };
    return st.cgroupPaths ?? st.cgroup_paths ?? {};
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-containerd-'));
    sock = path.join(tmp, 'containerd.sock');
    runcRoot = path.join(tmp, 'runc');
    const config = [
      'version = 2',
      `root = ${JSON.stringify(path.join(tmp, 'root'))}`,
      `state = ${JSON.stringify(path.join(tmp, 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
      '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",',
      '  "io.containerd.internal.v1.tracing"]',
      '[grpc]',
      `  address = ${JSON.stringify(sock)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(sock + '.ttrpc')}`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(tmp, 'config.toml'), config);
    const log = fs.openSync(path.join(tmp, 'containerd.log'), 'w');
    daemon = spawn('containerd', ['--config', path.join(tmp, 'config.toml')], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const end = Date.now() + 20_000;
    while (ctr(['version'], 5000).status !== 0) {
      if (Date.now() > end || daemon.exitCode !== null) {
        assert.fail(`containerd did not start:\n${fs.readFileSync(path.join(tmp, 'containerd.log'), 'utf8').slice(-3000)}`);
      }
      await sleep(100);
    }
    const tar = path.join(tmp, 'busybox.tar');
    const b = spawnSync(path.join(REPO, 'scripts', 'engines', 'busybox-image.sh'), [tar], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const imp = ctr(['images', 'import', '--base-name', 'tsrun.test/busybox', tar]);
    assert.equal(imp.status, 0, imp.err);
    assert.match(ctr(['images', 'ls', '-q']).out, /^tsrun\.test\/busybox:latest$/m);
  });

  after(async () => {
    if (!tmp) return;
    if (daemon && daemon.exitCode === null) {
      for (const id of ids) {
        ctr(['task', 'kill', '-a', '-s', 'KILL', id], 10_000);
        for (let i = 0; i < 30 && taskStatus(id) === 'RUNNING'; i++) await sleep(100);
        ctr(['task', 'delete', '--force', id], 10_000);
        ctr(['container', 'delete', id], 10_000);
      }
      ctr(['images', 'rm', IMAGE], 10_000);
    }
    // shims started for this daemon (they outlive it if a task was left): found by our socket in their command line
    for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmd = '';
      try {
        cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmd.startsWith('/usr/bin/containerd-shim-runc-v2\0') && cmd.includes(`\0${sock}\0`)) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    if (daemon?.pid && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      for (let i = 0; i < 50 && daemon.exitCode === null && alive(daemon.pid); i++) await sleep(100);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    // the snapshotter's and the shim's mounts under our root, deepest first
    const mounts = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m === tmp || m.startsWith(tmp + '/'))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    // cgroups: <controller>/tsrun-test/<id> are ours; the namespace parent only if now empty
    for (const ctl of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
      for (const id of ids) {
        try {
          fs.rmdirSync(path.join('/sys/fs/cgroup', ctl, NS, id));
        } catch {
          /* absent */
        }
      }
      try {
        fs.rmdirSync(path.join('/sys/fs/cgroup', ctl, NS));
      } catch {
        /* absent or in use */
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    // containerd's shim and ctr make /run/containerd (shim sockets, fifos) even with a private state dir
    if (!hadRunContainerd) fs.rmSync('/run/containerd', { recursive: true, force: true });
    else for (const d of listFifos().filter((f) => !fifosBefore.has(f))) fs.rmSync(path.join(FIFOS, d), { recursive: true, force: true });
  });

  it('ctr run --rm prints the output and passes the exit code', () => {
    const id = newId();
    const r = run(['--rm', IMAGE, id, 'sh', '-c', 'echo hello; echo to stderr >&2; exit 7']);
    assert.equal(r.out, 'hello\n', r.err);
    assert.match(r.err, /to stderr/);
    assert.equal(r.status, 7, r.err);
    assert.equal(ctr(['container', 'ls', '-q']).out.split('\n').includes(id), false);
  });

  describe('a detached task', () => {
    let id = '';
    let pid = 0;
    before(() => {
      id = newId();
      // pid 1 ignores signals it has no handler for: trap TERM so `task kill` (TERM) ends it
      const r = run(['-d', IMAGE, id, 'sh', '-c', 'trap "exit 42" TERM; sleep 1000 & wait $!']);
      assert.equal(r.status, 0, r.err);
      pid = taskPid(id);
      assert.ok(pid > 0);
    });

    it('runs under tsrun: the state the shim asked for is tsrun\'s, with its cgroupPaths', { skip: isTsrun ? false : 'not tsrun' }, () => {
      assert.equal(taskStatus(id), 'RUNNING');
      const st = tsrunState(id);
      assert.equal(st.pid, pid);
      assert.ok(st.cgroupPaths && Object.keys(st.cgroupPaths).length > 0, 'state.json has no cgroupPaths: not tsrun');
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(cmd.slice(0, 3), ['sh', '-c', 'trap "exit 42" TERM; sleep 1000 & wait $!']);
    });

    it('task exec: output and exit code', () => {
      const r = ctr(['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo hi; exit 3']);
      assert.equal(r.out, 'hi\n', r.err);
      assert.equal(r.status, 3, r.err);
    });

    it('task exec -t: a terminal', { skip: noScript }, () => {
      const cmd = `ctr --address ${sock} -n ${NS} task exec -t --exec-id e2 ${id} sh -c 'tty; echo tty-ok; exit 4'`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, input: '', killSignal: 'SIGKILL' });
      assert.equal(r.status, 4, r.stdout + r.stderr);
      assert.match(r.stdout, /\/dev\/pts\/\d+\r?\r\n/);
      assert.match(r.stdout, /tty-ok\r?\r\n/);
    });

    it('task ps lists the init and an exec', async () => {
      const r = ctr(['task', 'exec', '-d', '--exec-id', 'e3', id, 'sleep', '999']);
      assert.equal(r.status, 0, r.err);
      let pids: number[] = [];
      for (let i = 0; i < 50; i++) {
        const ps = ctr(['task', 'ps', id]);
        assert.equal(ps.status, 0, ps.err);
        pids = ps.out.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((p) => p > 0);
        if (pids.length >= 3) break;
        await sleep(100);
      }
      assert.ok(pids.includes(pid), `init ${pid} not in ${pids}`);
      // init sh, its sleep 1000, and the exec's sleep 999
      assert.ok(pids.length >= 3, `task ps: ${pids}`);
    });

    it('task pause: PAUSED and frozen; resume: RUNNING', () => {
      let r = ctr(['task', 'pause', id]);
      assert.equal(r.status, 0, r.err);
      assert.equal(taskStatus(id), 'PAUSED');
      const freezer = cgroupPaths(id).freezer;
      if (freezer) assert.equal(fs.readFileSync(path.join(freezer, 'freezer.state'), 'utf8').trim(), 'FROZEN');
      r = ctr(['task', 'resume', id]);
      assert.equal(r.status, 0, r.err);
      assert.equal(taskStatus(id), 'RUNNING');
      if (freezer) assert.equal(fs.readFileSync(path.join(freezer, 'freezer.state'), 'utf8').trim(), 'THAWED');
    });

    it('task metrics: memory and cpu figures', () => {
      const r = ctr(['task', 'metrics', id]);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /memory\.usage\S*\s+[1-9]\d*/);
      assert.match(r.out, /(cpuacct\.usage|cpu\.usage_usec)\s+[1-9]\d*/);
      const j = ctr(['task', 'metrics', '--format', 'json', id]);
      assert.equal(j.status, 0, j.err);
      const m = JSON.parse(j.out) as { memory?: unknown; cpu?: unknown; pids?: { current?: number } };
      assert.ok(m.memory && m.cpu, j.out);
      assert.ok((m.pids?.current ?? 0) >= 2, j.out);
    });

    it('task kill (TERM by default): the task exits with its handler\'s code', async () => {
      const r = ctr(['task', 'kill', id]);
      assert.equal(r.status, 0, r.err);
      await waitStatus(id, 'STOPPED');
      assert.equal(alive(pid), false);
    });

    // containerd's shim (pkg/process/utils.go checkKillError) turns a runtime `kill` error into NotFound ("process
    // already finished") only when the message contains "container not running", "no such process",
    // "os: process already finished" or "does not exist"; anything else is "unknown error after kill" and reaches the
    // client (a `task kill` racing the task's exit, e.g. docker stop's KILL after TERM). The shim's own call, on the
    // stopped container, made directly: runc 1.1 says `container not running`.
    it('kill of a stopped container: an error the shim recognises as "already finished"', () => {
      const log = path.join(tmp, 'kill-log.json');
      const k = spawnSync(RUNTIME, ['--root', path.join(runcRoot, NS), '--log', log, '--log-format', 'json', 'kill', id, '15'], { encoding: 'utf8' });
      assert.notEqual(k.status, 0);
      const msg = `${k.stdout}${k.stderr}${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`;
      assert.match(msg, /container not running|no such process|os: process already finished/i);
    });

    it('task delete and container delete', () => {
      const d = ctr(['task', 'delete', id]);
      assert.equal(d.status, 0, d.err);
      assert.match(d.err, /exit code 42/);
      const c = ctr(['container', 'delete', id]);
      assert.equal(c.status, 0, c.err);
      assert.equal(fs.existsSync(path.join(runcRoot, NS, id)), false, 'runtime state left behind');
    });
  });

  it('ctr run --rm of a missing program: the runtime\'s error (its JSON log) reaches the client', () => {
    const id = newId();
    const r = run(['--rm', IMAGE, id, '/nonexistent']);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /OCI runtime create failed: .*\/nonexistent.*(ENOENT|no such file)/i);
    assert.equal(ctr(['container', 'ls', '-q']).out.split('\n').includes(id), false);
  });

  it('ctr run --rm -t: the console socket, a terminal', { skip: noScript }, () => {
    const id = newId();
    const cmd = `ctr --address ${sock} -n ${NS} run --rm -t --runc-binary ${RUNTIME} --runc-root ${runcRoot} ${IMAGE} ${id} sh -c 'tty; echo TERM=$TERM; exit 5'`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, input: '', killSignal: 'SIGKILL' });
    assert.equal(r.status, 5, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+\r?\r\n/);
    assert.match(r.stdout, /TERM=xterm\r?\r\n/);
  });

  it('task kill -a -s KILL: every process in the container dies', async () => {
    const id = newId();
    let r = run(['-d', IMAGE, id, 'sleep', '1000']);
    assert.equal(r.status, 0, r.err);
    const pid = taskPid(id);
    r = ctr(['task', 'exec', '-d', '--exec-id', 'x1', id, 'sleep', '998']);
    assert.equal(r.status, 0, r.err);
    const cg = cgroupPaths(id);
    const procsFile = path.join(cg.pids ?? cg.memory ?? cg[''] ?? '', 'cgroup.procs');
    const procs = (): number[] => fs.readFileSync(procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
    for (let i = 0; i < 50 && procs().length < 2; i++) await sleep(100);
    const all = procs();
    assert.ok(all.length >= 2, `cgroup.procs: ${all}`);
    // plain `task kill` (TERM) leaves a handler-less pid 1 alone, as under runc
    r = ctr(['task', 'kill', '-a', '-s', 'KILL', id]);
    assert.equal(r.status, 0, r.err);
    await waitStatus(id, 'STOPPED');
    for (let i = 0; i < 50 && all.some(alive); i++) await sleep(100);
    assert.deepEqual(all.filter(alive), []);
    assert.equal(alive(pid), false);
    const d = ctr(['task', 'delete', id]);
    assert.equal(d.status, 0, d.err);
    assert.match(d.err, /exit code 137/);
    const c = ctr(['container', 'delete', id]);
    assert.equal(c.status, 0, c.err);
    assert.equal(ctr(['snapshots', 'ls']).out.includes(id), false, 'snapshot left behind');
  });
});
