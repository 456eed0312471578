// tsrun as podman's OCI runtime: podman 4.3 (Debian 12) with conmon, driving bin/tsrun exactly as it drives runc.
//
// Everything podman keeps goes to a private temp dir: --root/--runroot/--tmpdir, vfs storage, a containers.conf of
// our own (CONTAINERS_CONF) that names tsrun as the runtime. Containers use `--network none` (no netavark, no
// iptables rules or bridge on the host) and a cgroup parent of our own (podman's cgroupfs manager puts the
// container at <parent>/libpod-<id> and conmon at <parent>/conmon), removed at the end. The image is a busybox
// rootfs (scripts/make-rootfs.sh) brought in with `podman import`, so no registry is needed.
//
// podman passes no --root to the runtime (conmon's -r is the binary only), so tsrun keeps its state in its default
// /run/tsrun, as runc keeps podman's containers in /run/runc. `--runtime-flag root=DIR` would isolate it, but
// podman 4.3 leaves the runtime flags out of conmon's exit command (`podman container cleanup`), whose
// `delete --force` then goes to /run/tsrun and leaves the state behind; so the default root it is.
//
// What podman 4.3 and conmon 2.1.6 run (seen with a logging wrapper), all handled by tsrun as by runc:
//   --log-format=json --log <rundir>/oci-log create --bundle <dir> --pid-file <file> [--console-socket <sock>] <id>
//   start <id> | pause <id> | resume <id> | kill <id> <signum> | delete --force <id> | update --resources=<file> <id>
//   --log-format=json --log <execdir>/oci-log exec --pid-file <file> --process <file> --detach
//     [--tty --console-socket /tmp/conmon-term.XXXXXX] <id>
// (`--log-format=json --log` only because containers.conf lists tsrun in runtime_supports_json; conmon reads the
// runtime's error back from that file.) podman 4.3 never ran `state` here: exits come from conmon's exit files.
// podman also creates /run/containers (netavark's run dir) and /var/lib/containers/cache (image import's blob
// cache) whatever --root says; they are removed at the end when they did not exist before.
//
// Terminals (`run -t`, `exec -t`) need podman's stdin to be a tty: the commands run under script(1).
// Do not run podman with --log-level debug here: it adds --syslog to conmon's exit command, and without a syslog
// daemon (/dev/log) that cleanup process fails, so `run --rm` waits 20 s for an exit that is never recorded.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { which } from '../helpers/bundle.js';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs as dist/test/engines/podman.test.js. */
const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const TSRUN = path.join(REPO, 'bin', 'tsrun');
/** tsrun's default state root: the one podman's commands reach, since podman passes no --root. */
const TSRUN_ROOT = '/run/tsrun';
const IMAGE = 'localhost/tsrun-podman-busybox:latest';
/** A pure cgroup v2 host (this machine is v1 hybrid: the v1 files are checked there). */
const V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'not root (podman with a private root storage needs root here)';
  if (!which('podman')) return 'podman is not installed (apt-get install -y podman)';
  if (!which('conmon')) return 'conmon is not installed (apt-get install -y conmon)';
  if (!fs.existsSync(TSRUN)) return `${TSRUN} is missing`;
  if (!fs.existsSync(path.join(REPO, 'dist', 'native', 'tsrun-init'))) return 'tsrun is not built (npm run build)';
  if (!fs.existsSync('/bin/busybox')) return 'busybox-static is not installed';
  return false;
}
const SKIP = skipReason();

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function waitFor(what: string, cond: () => boolean, timeoutMs = 10000): void {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    sleepMs(50);
  }
}

/** Host paths podman creates for root whatever --root/--runroot say; removed at the end only if we created them. */
const PODMAN_GLOBALS = ['/run/containers', '/var/lib/containers'];

/**
 * tsrun on Bun (bin/tsrun's default) and on Node. podman and conmon pass the runtime a cleaned environment, so
 * TSRUN_ENGINE cannot come from ours: the Node variant's runtime is a two-line script that sets it and execs
 * bin/tsrun, named tsrun-node in containers.conf.
 */
const VARIANTS = [
  { name: 'tsrun', engine: undefined },
  { name: 'tsrun-node', engine: 'node' },
] as const;

for (const variant of VARIANTS) describe(`podman 4.3 + conmon with ${variant.name} as the OCI runtime`, { skip: SKIP }, () => {
  let runtimePath = TSRUN;
  let tmp = '';
  let env: NodeJS.ProcessEnv = {};
  let cgroupParent = '';
  const preexisting = new Set<string>();
  const ids = new Set<string>();
  /** Every container id this file made, to check tsrun's state root at the end. */
  const made = new Set<string>();

  const globalFlags = (): string[] => [
    '--root', path.join(tmp, 'root'),
    '--runroot', path.join(tmp, 'runroot'),
    '--tmpdir', path.join(tmp, 'tmp'),
    '--storage-driver', 'vfs',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'file',
  ];

  function podman(args: string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    return spawnSync('podman', [...globalFlags(), ...args], {
      env,
      encoding: 'utf8',
      input: opts.input ?? '',
      timeout: opts.timeoutMs ?? 60000,
      killSignal: 'SIGKILL',
    });
  }

  /** podman with its stdin, stdout and stderr on a pty (script(1)); returns what the pty printed and the status. */
  function podmanTty(args: string[]): { out: string; status: number | null } {
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = ['podman', ...globalFlags(), ...args].map(q).join(' ');
    // -e: script exits with the child's status; -q: no banner; the typescript goes nowhere.
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      env,
      encoding: 'utf8',
      input: '',
      timeout: 60000,
      killSignal: 'SIGKILL',
    });
    return { out: r.stdout + r.stderr, status: r.status };
  }

  function ok(args: string[], opts?: { input?: string; timeoutMs?: number }): string {
    const r = podman(args, opts);
    assert.equal(r.status, 0, `podman ${args.join(' ')} -> ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  const runFlags = (): string[] => ['--network', 'none', '--cgroup-parent', cgroupParent];

  /** `podman run -d` the image with a command; the container's full id. */
  function runDetached(cmd: string[], extra: string[] = []): string {
    const id = ok(['run', '-d', ...runFlags(), ...extra, IMAGE, ...cmd]).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    ids.add(id);
    made.add(id);
    return id;
  }

  function inspect(id: string): {
    OCIRuntime: string;
    State: { Status: string; Pid: number; ExitCode: number; Running: boolean; Paused: boolean };
  } {
    const arr = JSON.parse(ok(['inspect', '--type', 'container', id])) as ReturnType<typeof inspect>[];
    assert.equal(arr.length, 1);
    return arr[0]!;
  }

  /** tsrun's own view of the container, from the state root podman's commands use. */
  function tsrunState(id: string): { status: string; pid: number; bundle: string } | undefined {
    const r = spawnSync(TSRUN, ['--root', TSRUN_ROOT, 'state', id], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    return JSON.parse(r.stdout) as { status: string; pid: number; bundle: string };
  }

  /** The host cgroup directory of a process for a controller: its v1 hierarchy, or the v2 tree on a pure v2 host. */
  function hostCgroup(pid: number, controller: string): string {
    const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
    for (const line of lines) {
      const [, ctrls = '', rel = ''] = line.split(':');
      if (ctrls.split(',').includes(controller)) return path.join('/sys/fs/cgroup', controller, rel);
    }
    const v2 = lines.find((l) => l.startsWith('0::'));
    assert.ok(v2 && fs.existsSync('/sys/fs/cgroup/cgroup.controllers'), `no ${controller} cgroup for pid ${pid}`);
    return path.join('/sys/fs/cgroup', v2.slice(3));
  }

  function removeContainer(id: string): void {
    podman(['rm', '-f', '-t', '0', id]);
    ids.delete(id);
  }

  before(() => {
    for (const g of PODMAN_GLOBALS) if (fs.existsSync(g)) preexisting.add(g);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-podman-'));
    for (const d of ['root', 'runroot', 'tmp']) fs.mkdirSync(path.join(tmp, d));
    cgroupParent = `/tsrun-podman-test-${process.pid}-${variant.name}`;
    if (variant.engine) {
      runtimePath = path.join(tmp, variant.name);
      const calls = JSON.stringify(path.join(tmp, `${variant.name}.calls`));
      fs.writeFileSync(
        runtimePath,
        `#!/bin/sh\necho "$*" >> ${calls}\nTSRUN_ENGINE=${variant.engine} exec ${JSON.stringify(TSRUN)} "$@"\n`,
        { mode: 0o755 },
      );
    }
    const conf = path.join(tmp, 'containers.conf');
    // default_ulimits = []: podman's default nofile=1048576 is above this machine's hard limit, and root here has
    //   no CAP_SYS_RESOURCE to raise it (tsrun's setrlimit would fail with EPERM, as runc's would).
    // runtime_supports_json: podman passes `--log-format=json` (with --log FILE) only to runtimes listed here, and
    //   reads their errors back from that file as JSON; tsrun writes them there like runc.
    fs.writeFileSync(
      conf,
      [
        '[containers]',
        'default_ulimits = []',
        '',
        '[engine]',
        `runtime = "${variant.name}"`,
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `runtime_supports_json = ["${variant.name}"]`,
        '',
        '[network]',
        // netavark's config dir (a lock file) would otherwise be /etc/containers/networks.
        `network_config_dir = ${JSON.stringify(path.join(tmp, 'networks'))}`,
        '',
        '[engine.runtimes]',
        `${variant.name} = [${JSON.stringify(runtimePath)}]`,
        '',
      ].join('\n'),
    );
    env = { ...process.env, CONTAINERS_CONF: conf, TMPDIR: path.join(tmp, 'tmp') };
    delete env.CONTAINERS_STORAGE_CONF;
    const rootfs = path.join(tmp, 'rootfs');
    execFileSync(path.join(REPO, 'scripts', 'make-rootfs.sh'), [rootfs]);
    const tarball = path.join(tmp, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tarball, '.']);
    fs.rmSync(rootfs, { recursive: true, force: true });
    ok(['import', '--change', 'CMD ["sh"]', tarball, IMAGE]);
  });

  after(() => {
    if (!tmp) return;
    for (const id of [...ids]) removeContainer(id);
    podman(['rm', '-a', '-f', '-t', '0']);
    podman(['rmi', '-a', '-f']);
    // Anything of ours still known to tsrun (a failed podman cleanup) goes too.
    for (const id of ids) spawnSync(TSRUN, ['--root', TSRUN_ROOT, 'delete', '--force', id]);
    // Mounts under the temp dir (per-container shm, storage), deepest first.
    const mounts = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m === tmp || m.startsWith(tmp + '/'))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    fs.rmSync(tmp, { recursive: true, force: true });
    // Our cgroup parent (and conmon's cgroup in it) in every hierarchy; only empty directories are removed.
    const roots = fs.existsSync('/sys/fs/cgroup/cgroup.controllers')
      ? ['/sys/fs/cgroup']
      : fs.readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h));
    for (const r of roots) {
      const p = path.join(r, cgroupParent);
      if (!fs.existsSync(p)) continue;
      for (const child of fs.readdirSync(p, { withFileTypes: true })) {
        if (child.isDirectory()) {
          try {
            fs.rmdirSync(path.join(p, child.name));
          } catch {
            /* busy: left for the report below */
          }
        }
      }
      try {
        fs.rmdirSync(p);
      } catch {
        /* busy */
      }
    }
    for (const g of PODMAN_GLOBALS) if (!preexisting.has(g)) fs.rmSync(g, { recursive: true, force: true });
  });

  it('runs on tsrun: podman info names it, `run --rm echo hi` prints hi', () => {
    const info = JSON.parse(ok(['info', '--format', 'json'])) as { host: { ociRuntime: { name: string; path: string } } };
    assert.equal(info.host.ociRuntime.name, variant.name);
    assert.equal(info.host.ociRuntime.path, runtimePath);
    const r = podman(['run', '--rm', ...runFlags(), IMAGE, 'echo', 'hi']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    if (variant.engine) {
      // the wrapper saw podman's create, start and delete
      const calls = fs.readFileSync(path.join(tmp, `${variant.name}.calls`), 'utf8');
      assert.match(calls, /^--log-format=json --log \S+ create --bundle /m);
      assert.match(calls, /^start [0-9a-f]{64}$/m);
    }
  });

  it('passes the exit code through: `run --rm sh -c "exit 3"` exits 3', () => {
    const r = podman(['run', '--rm', ...runFlags(), IMAGE, 'sh', '-c', 'exit 3']);
    assert.equal(r.status, 3, r.stderr);
  });

  it('passes stdin with -i and separates stdout from stderr', () => {
    const r = podman(['run', '--rm', '-i', ...runFlags(), IMAGE, 'sh', '-c', 'cat; echo err >&2'], { input: 'from stdin\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'from stdin\n');
    assert.match(r.stderr, /^err$/m);
  });

  it('run -d: the container is tsrun\'s (inspect, tsrun state, the host cgroup), exec runs in it', () => {
    const id = runDetached(['sleep', '1000']);
    const ins = inspect(id);
    assert.equal(ins.OCIRuntime, variant.name);
    assert.equal(ins.State.Status, 'running');
    assert.ok(ins.State.Pid > 0);
    // tsrun's state, where podman's commands put it, agrees with podman about the init.
    assert.ok(fs.existsSync(path.join(TSRUN_ROOT, id, 'state.json')), `no ${TSRUN_ROOT}/${id}/state.json`);
    const st = tsrunState(id);
    assert.ok(st, 'tsrun state failed');
    assert.equal(st.status, 'running');
    assert.equal(st.pid, ins.State.Pid);
    assert.equal(fs.readFileSync(`/proc/${st.pid}/cmdline`, 'utf8'), 'sleep\u00001000\u0000');
    // In the cgroup podman asked for (config.json's cgroupsPath), which tsrun created.
    assert.equal(hostCgroup(st.pid, 'memory'), path.join('/sys/fs/cgroup', V2 ? '' : 'memory', cgroupParent, `libpod-${id}`));

    const e = podman(['exec', id, 'sh', '-c', 'echo hi']);
    assert.equal(e.status, 0, e.stderr);
    assert.equal(e.stdout, 'hi\n');
    const e4 = podman(['exec', id, 'sh', '-c', 'exit 4']);
    assert.equal(e4.status, 4, e4.stderr);
    // The exec'd process is in the container's namespaces: it sees the container's pid 1.
    const p1 = podman(['exec', id, 'cat', '/proc/1/cmdline']);
    assert.equal(p1.stdout, 'sleep\u00001000\u0000');
    // -i passes stdin to the exec'd process.
    const ei = podman(['exec', '-i', id, 'cat'], { input: 'piped\n' });
    assert.equal(ei.stdout, 'piped\n', ei.stderr);
    removeContainer(id);
  });

  it('run -t gives the container a terminal (conmon\'s console socket), exit code passes through', () => {
    const r = podmanTty(['run', '-t', '--rm', ...runFlags(), IMAGE, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-tty; exit 5']);
    assert.match(r.out, /\/dev\/pts\/0/);
    assert.match(r.out, /stdin-is-tty/);
    assert.equal(r.status, 5, r.out);
  });

  it('exec -t gives the exec\'d process a terminal, exit code passes through', () => {
    const id = runDetached(['sleep', '1000']);
    const r = podmanTty(['exec', '-t', id, 'sh', '-c', 'tty; exit 6']);
    assert.match(r.out, /\/dev\/pts\/\d+/);
    assert.equal(r.status, 6, r.out);
    removeContainer(id);
  });

  it('logs: what the container wrote to stdout and stderr', () => {
    const id = runDetached(['sh', '-c', 'echo to-stdout; echo to-stderr >&2']);
    assert.equal(ok(['wait', id]).trim(), '0');
    const l = podman(['logs', id]);
    assert.equal(l.status, 0, l.stderr);
    assert.match(l.stdout, /^to-stdout$/m);
    assert.match(l.stderr, /^to-stderr$/m);
    removeContainer(id);
  });

  it('pause and unpause: podman ps says Paused, the host freezer says FROZEN, tsrun state says paused', () => {
    const id = runDetached(['sleep', '1000']);
    const pid = inspect(id).State.Pid;
    const freezer = path.join(hostCgroup(pid, 'freezer'), V2 ? 'cgroup.freeze' : 'freezer.state');
    const [FROZEN, THAWED] = V2 ? ['1', '0'] : ['FROZEN', 'THAWED'];
    ok(['pause', id]);
    // `ps` without -a lists running containers only (with runc too); -a shows the paused one as Paused.
    assert.equal(ok(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}']), '');
    assert.match(ok(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Status}}']), /^Paused$/m);
    assert.equal(inspect(id).State.Status, 'paused');
    assert.equal(fs.readFileSync(freezer, 'utf8').trim(), FROZEN);
    assert.equal(tsrunState(id)?.status, 'paused');
    ok(['unpause', id]);
    assert.match(ok(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}']), /^Up /);
    assert.equal(fs.readFileSync(freezer, 'utf8').trim(), THAWED);
    assert.equal(tsrunState(id)?.status, 'running');
    // still alive and usable
    assert.equal(ok(['exec', id, 'echo', 'alive']), 'alive\n');
    removeContainer(id);
  });

  // As runc 1.1 (libcontainer Signal), `kill <id> 9` thaws a paused container after the SIGKILL: in a frozen v1
  // cgroup the signal waits for a thaw. Without it conmon never sees the exit and podman times out after 5 s.
  it('kill of a paused container thaws it after SIGKILL: podman says Exited (137)', () => {
    const id = runDetached(['sleep', '1000']);
    try {
      ok(['pause', id]);
      const r = podman(['kill', id]); // SIGKILL by default
      assert.equal(r.status, 0, r.stderr);
      // kill returns once the signal is sent; conmon records the exit just after. Without the thaw no exit comes
      // at all and `wait` runs into its time limit.
      assert.equal(ok(['wait', id], { timeoutMs: 20000 }).trim(), '137');
      const ins = inspect(id);
      assert.equal(ins.State.Status, 'exited');
      assert.equal(ins.State.ExitCode, 137);
    } finally {
      removeContainer(id);
    }
  });

  it('update --memory 64m changes the host memory cgroup (tsrun update --resources FILE)', () => {
    const id = runDetached(['sleep', '1000']);
    const pid = inspect(id).State.Pid;
    const mem = hostCgroup(pid, 'memory');
    const limit = () => Number(fs.readFileSync(path.join(mem, V2 ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim());
    assert.ok(!(limit() <= 64 * 1024 * 1024)); // "max" on v2 reads as NaN
    ok(['update', '--memory', '64m', id]);
    assert.equal(limit(), 64 * 1024 * 1024);
    ok(['update', '--cpu-shares', '512', id]);
    // v2: runc's conversion of shares to cpu.weight, 1 + ((512 - 2) * 9999) / 262142 = 20
    const cpuFile = path.join(hostCgroup(pid, 'cpu'), V2 ? 'cpu.weight' : 'cpu.shares');
    assert.equal(fs.readFileSync(cpuFile, 'utf8').trim(), V2 ? '20' : '512');
    removeContainer(id);
  });

  it('kill -s USR1 reaches the container\'s trap; stop sends TERM and the exit code is the trap\'s', () => {
    const script = 'trap "echo got-usr1" USR1; trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done';
    const id = runDetached(['sh', '-c', script]);
    waitFor('the container to be ready', () => /ready/.test(podman(['logs', id]).stdout));
    ok(['kill', '-s', 'USR1', id]);
    waitFor('the USR1 trap', () => /got-usr1/.test(podman(['logs', id]).stdout));
    assert.equal(inspect(id).State.Status, 'running');
    const t0 = Date.now();
    ok(['stop', '-t', '20', id]);
    assert.ok(Date.now() - t0 < 15000, 'stop had to wait for its timeout: TERM did not end the container');
    const ins = inspect(id);
    assert.equal(ins.State.Status, 'exited');
    assert.equal(ins.State.ExitCode, 0);
    assert.match(podman(['logs', id]).stdout, /got-term/);
    removeContainer(id);
  });

  it('stop of a process that ignores TERM falls back to KILL: exit code 137', () => {
    const id = runDetached(['sleep', '1000']); // pid 1 without a handler: TERM is ignored
    ok(['stop', '-t', '1', id]);
    assert.equal(inspect(id).State.ExitCode, 137);
    removeContainer(id);
  });

  it('wait returns the container\'s exit code', () => {
    const id = runDetached(['sh', '-c', 'sleep 0.5; exit 9']);
    assert.equal(ok(['wait', id]).trim(), '9');
    const ins = inspect(id);
    assert.equal(ins.State.Status, 'exited');
    assert.equal(ins.State.ExitCode, 9);
    removeContainer(id);
  });

  it('rm -f of a running container: gone from podman, from tsrun\'s state and from the host cgroups', () => {
    const id = runDetached(['sleep', '1000']);
    const pid = inspect(id).State.Pid;
    const mem = hostCgroup(pid, 'memory');
    assert.ok(fs.existsSync(mem));
    ok(['rm', '-f', '-t', '0', id]);
    ids.delete(id);
    assert.equal(podman(['container', 'exists', id]).status, 1);
    assert.equal(fs.existsSync(path.join(TSRUN_ROOT, id)), false, `${TSRUN_ROOT}/${id} left behind`);
    waitFor('the init to be gone', () => !fs.existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')));
    assert.equal(fs.existsSync(mem), false, `${mem} left behind`);
  });

  it('create, init (tsrun create), start (tsrun start), then restart', () => {
    const id = ok(['create', ...runFlags(), IMAGE, 'sh', '-c', 'echo started; sleep 1000']).trim();
    ids.add(id);
    made.add(id);
    // `podman create` only makes podman's record; `podman init` is what runs `tsrun create`.
    assert.equal(inspect(id).State.Status, 'created');
    assert.equal(tsrunState(id), undefined);
    ok(['init', id]);
    assert.equal(inspect(id).State.Status, 'initialized');
    assert.equal(tsrunState(id)?.status, 'created');
    ok(['start', id]);
    waitFor('the container to start', () => /started/.test(podman(['logs', id]).stdout));
    const pid1 = inspect(id).State.Pid;
    ok(['restart', '-t', '0', id]);
    const ins = inspect(id);
    assert.equal(ins.State.Status, 'running');
    assert.notEqual(ins.State.Pid, pid1);
    assert.equal(tsrunState(id)?.pid, ins.State.Pid);
    removeContainer(id);
  });

  it('exec -d runs a process in the background of a running container', () => {
    const id = runDetached(['sleep', '1000']);
    ok(['exec', '-d', id, 'sh', '-c', 'echo detached > /tmp/d']);
    waitFor('the detached exec', () => podman(['exec', id, 'cat', '/tmp/d']).stdout === 'detached\n');
    removeContainer(id);
  });

  it('a pod: the infra container (catatonit, built locally) and a member joining its namespaces by path', () => {
    const pod = `tsrun-pod-${process.pid}`;
    ok(['pod', 'create', '--network', 'none', '--cgroup-parent', cgroupParent, '--name', pod]);
    let id = '';
    try {
      id = ok(['run', '-d', '--pod', pod, IMAGE, 'sleep', '1000']).trim();
      ids.add(id);
      made.add(id);
      const infra = (JSON.parse(ok(['pod', 'inspect', pod])) as { InfraContainerID: string }).InfraContainerID;
      const infraPid = inspect(infra).State.Pid;
      const pid = inspect(id).State.Pid;
      assert.equal(inspect(infra).OCIRuntime, variant.name);
      // uts and ipc are shared with the infra container: same namespace inodes from the host.
      for (const ns of ['uts', 'ipc']) {
        assert.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${infraPid}/ns/${ns}`), ns);
      }
      assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/mnt`), fs.readlinkSync(`/proc/${infraPid}/ns/mnt`));
      assert.equal(ok(['exec', id, 'hostname']).trim(), pod);
    } finally {
      ok(['pod', 'rm', '-f', '-t', '0', pod]);
      ids.delete(id);
    }
  });

  it('a runtime error reaches the user: podman shows tsrun\'s message for a missing executable', () => {
    const r = podman(['run', '--rm', ...runFlags(), IMAGE, '/no/such/binary']);
    assert.notEqual(r.status, 0);
    // runc: `exec: "/no/such/binary": stat /no/such/binary: no such file or directory`; podman exits 127 for it.
    assert.match(r.stderr, /no\/such\/binary/);
    assert.match(r.stderr, /no such file or directory|ENOENT/i);
    assert.equal(r.status, 127, r.stderr);
  });

  it('podman rm leaves nothing of the containers in tsrun\'s state root', () => {
    for (const id of [...ids]) removeContainer(id);
    assert.equal(ok(['ps', '-a', '-q', '--no-trunc']).trim(), '');
    const left = fs.existsSync(TSRUN_ROOT) ? fs.readdirSync(TSRUN_ROOT).filter((d) => made.has(d)) : [];
    assert.deepEqual(left, []);
    assert.ok(made.size >= 10);
  });
});
