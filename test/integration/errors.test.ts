// Errors and bad input (DESIGN.md): every failure is one line on stderr, `tsrun: <what was wrong>`, naming the
// config field, the file, or the syscall and errno, with a non-zero exit; with `--log-format json` the same
// message is a JSON line in the --log file; and a failed create leaves nothing behind: no state directory, no
// cgroup, no mount under the bundle, no process. Each case gets its own state root, bundle and cgroupsPath, so
// "nothing left" can be checked strictly. Needs root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { type Bundle, type Runtime, forceDelete, makeBundle, needRoot, rt, stateOf, tsrunRuntime } from '../helpers/bundle.js';

const FIXTURES = '/work/shared/oci-runtime-spec/fixtures/config/bad';
const CGROUP_FS = '/sys/fs/cgroup';

// ---------------------------------------------------------------------------------------------------------------
// Bookkeeping for the `after` hook: everything a test makes, and anything tsrun wrongly leaves behind.

const bundles: Bundle[] = [];
const tmpdirs: string[] = [];
const containers: { r: Runtime; id: string }[] = [];
/** Cgroup dirs found left behind (removed in `after`, deepest first). */
const strayCgroups = new Set<string>();
/** Processes found left behind, with their start times so a reused pid is never killed. */
const strayPids = new Map<number, string | undefined>();

after(async () => {
  for (const { r, id } of containers) forceDelete(r, id);
  for (const [pid, started] of strayPids) {
    if (started !== undefined && startTime(pid) === started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  if (strayPids.size) await sleep(200);
  for (const dir of [...strayCgroups].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') console.error(`cleanup: rmdir ${dir}: ${(e as Error).message}`);
    }
  }
  // A mount wrongly left under a bundle must not let rm -r reach through it into the host.
  const dirs = [...bundles.map((b) => b.dir), ...tmpdirs];
  const stray = readOr('/proc/self/mountinfo')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => dirs.some((d) => inside(m, d)))
    .sort((a, b) => b.length - a.length);
  for (const m of stray) spawnSync('umount', ['-l', m]);
  for (const b of bundles) b.remove();
  for (const d of tmpdirs) fs.rmSync(d, { recursive: true, force: true });
});

let counter = 0;
const uniq = (): string => `${process.pid}-${++counter}`;

function tmpdir(prefix = 'tsrun-err-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpdirs.push(d);
  return d;
}

/** A tsrun with a fresh, empty state root. */
function runtime(): Runtime {
  return tsrunRuntime(tmpdir('tsrun-err-state-'));
}

/** A bundle from the example config with a unique linux.cgroupsPath. */
function bundle(edit?: (s: Spec) => void, script = 'true'): Bundle & { cgroupsPath: string } {
  const cgroupsPath = `/tsrun-err-${uniq()}`;
  const b = makeBundle(script, (s) => {
    s.linux = { ...(s.linux ?? {}), cgroupsPath };
    edit?.(s);
  });
  bundles.push(b);
  return Object.assign(b, { cgroupsPath });
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// ---------------------------------------------------------------------------------------------------------------
// Processes

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function readlinkOr(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '';
  }
}

function readOr(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function pids(): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** tsrun-init processes now running, as "pid:starttime". */
function initProcs(): Set<string> {
  const out = new Set<string>();
  for (const pid of pids()) {
    if (readOr(`/proc/${pid}/comm`).trim() === 'tsrun-init' && procState(pid) !== 'Z') out.add(`${pid}:${startTime(pid)}`);
  }
  return out;
}

const inside = (p: string, dir: string): boolean => p === dir || p.startsWith(`${dir}/`);

// ---------------------------------------------------------------------------------------------------------------
// Cgroups: the container's dir in every hierarchy, for the given cgroupsPath and for the default (<own>/<id>).

function hierarchies(): { dir: string; own: string }[] {
  const own = new Map<string, string>();
  for (const line of readOr('/proc/self/cgroup').trim().split('\n')) {
    const [, ctrls = '', p = '/'] = line.split(':');
    const name = ctrls === '' ? 'unified' : ctrls.replace(/^name=/, '');
    own.set(name, p);
    for (const c of ctrls.split(',')) own.set(c, p);
  }
  const out: { dir: string; own: string }[] = [];
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(CGROUP_FS, { withFileTypes: true });
  } catch {
    // no cgroup fs
  }
  if (fs.existsSync(path.join(CGROUP_FS, 'cgroup.controllers'))) return [{ dir: CGROUP_FS, own: own.get('unified') ?? '/' }];
  for (const e of entries) if (e.isDirectory()) out.push({ dir: path.join(CGROUP_FS, e.name), own: own.get(e.name) ?? '/' });
  return out;
}

function cgroupDirsOf(id: string, cgroupsPath?: string): string[] {
  const out = new Set<string>();
  for (const h of hierarchies()) {
    if (cgroupsPath) out.add(path.join(h.dir, cgroupsPath));
    if (id && !id.includes('/') && id !== '.' && id !== '..') {
      out.add(path.join(h.dir, h.own, id));
      out.add(path.join(h.dir, path.dirname(h.own), id));
    }
  }
  // never take a hierarchy's root or our own cgroup (or its parent) for the container's
  const ours = new Set(hierarchies().flatMap((h) => [h.dir, path.join(h.dir, h.own), path.join(h.dir, path.dirname(h.own))]));
  return [...out].filter((d) => !ours.has(d));
}

// ---------------------------------------------------------------------------------------------------------------
// The checks

interface Case {
  r: Runtime;
  id: string;
  /** The bundle dir (may not exist) and the cgroupsPath the config named, if any. */
  bundleDir?: string;
  cgroupsPath?: string;
  /** Ids that are allowed to be in the state root (containers this test made on purpose). */
  keep?: string[];
  /** tsrun-init processes before the case ran. */
  initsBefore: Set<string>;
}

function begin(r: Runtime, id: string, b?: { dir: string; cgroupsPath?: string }, keep: string[] = []): Case {
  return { r, id, bundleDir: b?.dir, cgroupsPath: b?.cgroupsPath, keep, initsBefore: initProcs() };
}

interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

let outputs: string | undefined;
let calls = 0;

/**
 * Runs tsrun in the bundle dir (so a native stage left behind still has its cwd there), with stdout and stderr
 * going to files: a created container inherits them, and pipes would keep spawnSync waiting until its timeout.
 */
function tsrun(c: Case, args: string[]): Result {
  const cwd = c.bundleDir && fs.existsSync(c.bundleDir) ? c.bundleDir : os.tmpdir();
  outputs ??= tmpdir('tsrun-err-out-');
  const files = [path.join(outputs, `${++calls}.out`), path.join(outputs, `${calls}.err`)] as const;
  const fds = files.map((f) => fs.openSync(f, 'w'));
  try {
    const res = spawnSync(c.r.bin, ['--root', c.r.root, ...args], { stdio: ['ignore', fds[0], fds[1]], cwd, env: c.r.env, timeout: 30_000 });
    return { status: res.status, signal: res.signal, out: readOr(files[0]), err: readOr(files[1]) };
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** Non-zero exit and exactly one stderr line `tsrun: ...`; returns the message after `tsrun: `. */
function oneLineError(res: Result, ...patterns: RegExp[]): string {
  const shown = `status ${res.status}, signal ${res.signal}, stderr ${JSON.stringify(res.err)}, stdout ${JSON.stringify(res.out)}`;
  assert.ok(res.status !== 0 && res.status !== null, `expected a non-zero exit: ${shown}`);
  assert.match(res.err, /^tsrun: [^\n]+\n$/, `expected exactly one stderr line starting with "tsrun: ": ${shown}`);
  const msg = res.err.slice('tsrun: '.length, -1);
  for (const p of patterns) assert.match(msg, p, `stderr ${JSON.stringify(res.err)} should match ${p}`);
  return msg;
}

/** Everything the case could have left behind; [] when nothing. */
function leftovers(c: Case): string[] {
  const problems: string[] = [];
  // state
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(c.r.root);
  } catch {
    // no root: nothing in it
  }
  const extra = entries.filter((e) => !(c.keep ?? []).includes(e));
  if (extra.length) problems.push(`state root ${c.r.root} holds ${JSON.stringify(extra)}`);
  // cgroups
  for (const d of cgroupDirsOf(c.id, c.cgroupsPath)) {
    if (fs.existsSync(d)) {
      problems.push(`cgroup dir ${d} exists (procs: ${JSON.stringify(readOr(path.join(d, 'cgroup.procs')).trim())})`);
      strayCgroups.add(d);
    }
  }
  // mounts
  if (c.bundleDir) {
    const dir = c.bundleDir;
    const m = readOr('/proc/self/mountinfo')
      .split('\n')
      .filter((l) => inside(l.split(' ')[4] ?? '', dir));
    if (m.length) problems.push(`mounts under the bundle: ${JSON.stringify(m)}`);
  }
  // processes: root or cwd in the bundle; or a new tsrun-init tied to this case (cwd/root in the bundle, or in
  // the case's cgroup)
  const cgNeedles = [c.cgroupsPath, c.id ? `/${c.id}` : undefined].filter((x): x is string => !!x);
  for (const pid of pids()) {
    if (pid === process.pid || procState(pid) === 'Z' || procState(pid) === undefined) continue;
    const root = readlinkOr(`/proc/${pid}/root`);
    const cwd = readlinkOr(`/proc/${pid}/cwd`);
    const comm = readOr(`/proc/${pid}/comm`).trim();
    let why = '';
    if (c.bundleDir && (inside(root, c.bundleDir) || inside(cwd, c.bundleDir))) why = `root ${root}, cwd ${cwd}`;
    else if (comm === 'tsrun-init' && !c.initsBefore.has(`${pid}:${startTime(pid)}`)) {
      const cg = readOr(`/proc/${pid}/cgroup`);
      const ours = cgNeedles.some((n) => cg.split('\n').some((l) => l.endsWith(n) || l.includes(`${n}/`)));
      if (ours) why = `tsrun-init in the container's cgroup: ${cg.trim().replace(/\n/g, ' ')}`;
    }
    if (why) {
      problems.push(`process ${pid} (${comm}) left behind: ${why}`);
      strayPids.set(pid, startTime(pid));
    }
  }
  return problems;
}

async function assertNothingLeft(c: Case): Promise<void> {
  // A killed init may take a moment to be reaped by its new parent; processes get a short grace, the rest not.
  let problems = leftovers(c);
  for (let i = 0; i < 20 && problems.some((p) => p.startsWith('process ')); i++) {
    await sleep(50);
    problems = leftovers(c);
  }
  assert.deepEqual(problems, [], `left behind after the failure:\n  ${problems.join('\n  ')}`);
}

/** create must fail with one line matching every pattern and leave nothing behind; returns the message. */
async function createFails(b: { dir: string; cgroupsPath?: string }, patterns: RegExp[], id = `err-${uniq()}`, r = runtime()): Promise<string> {
  const c = begin(r, id, b);
  const res = tsrun(c, ['create', '-b', b.dir, id]);
  if (res.status === 0) containers.push({ r, id });
  const msg = oneLineError(res, ...patterns);
  await assertNothingLeft(c);
  return msg;
}

// ---------------------------------------------------------------------------------------------------------------

describe('tsrun errors and bad input', { skip: needRoot }, () => {
  describe('config fixtures from the OCI runtime-spec (bad/)', () => {
    // The field each fixture breaks; a fixture added later must at least name config.json.
    const expected: Record<string, RegExp> = {
      'freebsd-vnet-disable.json': /^config\.json: freebsd\.jail\.vnet: /,
      'invalid-json.json': /^config\.json: .*JSON/i,
      'linux-hugepage.json': /^config\.json: linux\.resources\.hugepageLimits\[0\]\.pageSize: /,
      'linux-netdevice.json': /^config\.json: linux\.netDevices\.eth0\.name: /,
      'linux-rdma.json': /^config\.json: linux\.resources\.rdma\.mlx5_1\.hcaHandles: /,
    };
    const fixtures = needRoot ? [] : fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
    for (const f of fixtures) {
      test(f, async () => {
        const b = bundle();
        fs.copyFileSync(path.join(FIXTURES, f), path.join(b.dir, 'config.json'));
        // The fixture has no cgroupsPath: the default (<own cgroup>/<id>) is what must not exist.
        await createFails({ dir: b.dir }, [expected[f] ?? /^config\.json: /]);
      });
    }
  });

  describe('the bundle', () => {
    test('a missing bundle dir', async () => {
      const dir = path.join(os.tmpdir(), `tsrun-err-nobundle-${uniq()}`);
      await createFails({ dir }, [new RegExp(`bundle.*${esc(dir)}.*(no such|does not exist|ENOENT)`, 'i')]);
      assert.ok(!fs.existsSync(dir), `${dir} was created`);
    });

    test('a bundle without config.json', async () => {
      const b = bundle();
      fs.rmSync(path.join(b.dir, 'config.json'));
      await createFails(b, [/config\.json.*(no such file|does not exist|ENOENT)/i]);
    });

    test('a missing rootfs (root.path points nowhere)', async () => {
      const b = bundle((s) => {
        s.root = { path: 'nowhere' };
      });
      await createFails(b, [/^config\.json: root\.path: /, new RegExp(`${esc(path.join(b.dir, 'nowhere'))}.*(no such|does not exist|ENOENT)`, 'i')]);
    });

    test('malformed JSON', async () => {
      const b = bundle();
      fs.writeFileSync(path.join(b.dir, 'config.json'), '{"ociVersion": "1.0.2", "root": {"path": "rootfs"},');
      await createFails(b, [/^config\.json: .*JSON/i]);
    });
  });

  describe('namespaces', () => {
    test('an unknown namespace type', async () => {
      const b = bundle((s) => {
        s.linux?.namespaces?.push({ type: 'nope' } as never);
      });
      const n = (b.spec.linux?.namespaces?.length ?? 0) - 1;
      await createFails(b, [new RegExp(`^config\\.json: linux\\.namespaces\\[${n}\\]\\.type: `)]);
    });

    test('duplicate namespaces', async () => {
      const b = bundle((s) => {
        s.linux?.namespaces?.push({ type: 'pid' });
      });
      await createFails(b, [/^config\.json: linux\.namespaces.*: .*duplicate.*pid/]);
    });

    test('hostname without a uts namespace', async () => {
      const b = bundle((s) => {
        if (s.linux?.namespaces) s.linux.namespaces = s.linux.namespaces.filter((ns) => ns.type !== 'uts');
        s.hostname = 'nouts';
      });
      await createFails(b, [/^config\.json: hostname: .*uts/]);
    });
  });

  describe('mounts', () => {
    test('a destination that is a symlink out of the rootfs lands inside the rootfs, never on the host', async (t) => {
      const hostDir = tmpdir('tsrun-err-evil-');
      const name = path.basename(hostDir);
      const b = bundle((s) => {
        s.mounts = [...(s.mounts ?? []), { destination: '/evil', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }];
      }, 'echo pwned > /evil/pwned; ls /evil');
      fs.symlinkSync(hostDir, path.join(b.rootfs, 'evil'));
      const r = runtime();
      const id = `err-${uniq()}`;
      const c = begin(r, id, b);
      const hostMounted = (): string[] => readOr('/proc/self/mountinfo').split('\n').filter((l) => inside(l.split(' ')[4] ?? '', hostDir));
      const res = tsrun(c, ['create', '-b', b.dir, id]);
      if (res.status !== 0) {
        // failing cleanly is allowed
        t.diagnostic(`create failed: ${oneLineError(res, /evil/)}`);
        await assertNothingLeft(c);
      } else {
        containers.push({ r, id });
        t.diagnostic('create succeeded');
        const st = stateOf(r, id);
        assert.equal(st.status, 'created');
        const inContainer = readOr(`/proc/${st.pid}/mountinfo`).split('\n').map((l) => l.split(' '));
        const points = inContainer.map((f) => f[4]);
        assert.ok(points.includes(`/tmp/${name}`), `the tmpfs should be at /tmp/${name} inside the rootfs; container mounts: ${JSON.stringify(points)}`);
        assert.ok(!points.includes('/evil'), 'nothing may be mounted over the symlink itself');
        assert.ok(fs.statSync(path.join(b.rootfs, 'tmp', name)).isDirectory(), 'mount point made inside the rootfs');
        assert.deepEqual(hostMounted(), [], `host ${hostDir} got a mount`);
        assert.deepEqual(fs.readdirSync(hostDir), [], `host ${hostDir} is not empty`);
        // Run the program, which writes through /evil: the write must stay in the container's tmpfs.
        const started = rt(r, ['start', id]);
        assert.equal(started.status, 0, started.err);
        for (let i = 0; i < 100 && stateOf(r, id).status !== 'stopped'; i++) await sleep(50);
        assert.equal(stateOf(r, id).status, 'stopped');
        assert.deepEqual(fs.readdirSync(hostDir), [], `host ${hostDir} is not empty after the container wrote to /evil`);
        assert.deepEqual(hostMounted(), [], `host ${hostDir} got a mount`);
        const del = rt(r, ['delete', id]);
        assert.equal(del.status, 0, del.err);
        await assertNothingLeft(c);
      }
      assert.deepEqual(hostMounted(), [], `host ${hostDir} got a mount`);
      assert.deepEqual(fs.readdirSync(hostDir), [], `host ${hostDir} is not empty`);
    });

    test('a bind mount whose source does not exist', async () => {
      const src = path.join(os.tmpdir(), `tsrun-err-nosrc-${uniq()}`);
      const b = bundle((s) => {
        s.mounts = [...(s.mounts ?? []), { destination: '/mnt', type: 'bind', source: src, options: ['rbind'] }];
      });
      const i = (b.spec.mounts?.length ?? 0) - 1;
      await createFails(b, [new RegExp(`mounts\\[${i}\\]`), new RegExp(`${esc(src)}.*(no such|does not exist|ENOENT)`, 'i')]);
      assert.ok(!fs.existsSync(src), `${src} was created`);
    });

    test('an unknown filesystem type fails in the native stage with ENODEV', async () => {
      const dest = `/mnt/nosuch-${uniq()}`;
      const b = bundle((s) => {
        s.mounts = [...(s.mounts ?? []), { destination: dest, type: 'nosuchfs', source: 'none' }];
      });
      await createFails(b, [/mount/, new RegExp(esc(dest)), /ENODEV/]);
    });
  });

  describe('the program', () => {
    test('an absolute path that does not exist', async () => {
      const b = bundle((s) => {
        if (s.process) s.process.args = ['/nope'];
      });
      await createFails(b, [/exec: "\/nope"/, /ENOENT|no such file/i]);
    });

    test('a name not found in $PATH', async () => {
      const b = bundle((s) => {
        if (s.process) s.process.args = ['nope'];
      });
      await createFails(b, [/exec: "nope": executable file not found in \$PATH/]);
    });
  });

  describe('container ids', () => {
    test('an id that already exists: the second create fails, the first is untouched', async () => {
      const r = runtime();
      const id = `err-${uniq()}`;
      const first = bundle((s) => {
        if (s.process) s.process.args = ['sleep', '60'];
      });
      const c1 = tsrun(begin(r, id, first), ['create', '-b', first.dir, id]);
      containers.push({ r, id });
      assert.equal(c1.status, 0, c1.err);
      const before = stateOf(r, id);
      assert.equal(before.status, 'created');
      const firstCgroups = cgroupDirsOf('', first.cgroupsPath).filter((d) => fs.existsSync(d));
      assert.ok(firstCgroups.length > 0, 'the first container has cgroup dirs');

      const second = bundle();
      const c = begin(r, id, second, [id]);
      oneLineError(tsrun(c, ['create', '-b', second.dir, id]), new RegExp(`${esc(id)}.*already exists`));
      // nothing of the second create: no cgroup for its cgroupsPath, no mounts or processes in its bundle
      await assertNothingLeft({ ...c, id: '' });

      const now = stateOf(r, id);
      assert.equal(now.status, 'created');
      assert.equal(now.pid, before.pid);
      assert.equal(now.bundle, before.bundle);
      assert.ok(procState(now.pid) !== undefined && procState(now.pid) !== 'Z', `first container's init ${now.pid} is gone`);
      for (const d of firstCgroups) assert.ok(fs.existsSync(d), `first container's cgroup ${d} was removed`);
      assert.ok(fs.existsSync(path.join(r.root, id, 'state.json')), 'first container state removed');
      const del = rt(r, ['delete', '--force', id]);
      assert.equal(del.status, 0, del.err);
    });

    const escape = `../tsrun-err-escape-${process.pid}`;
    const badIds: [string, string, RegExp][] = [
      ['containing /', 'a/b', /id.*"a\/b"|"a\/b".*id/i],
      ['absolute', '/abs', /id.*"\/abs"/i],
      ['..', '..', /id.*"\.\."/i],
      ['containing .. (escaping the root)', escape, new RegExp(`id.*"${esc(escape)}"`, 'i')],
      ['empty', '', /id.*empty|empty.*id/i],
    ];
    for (const [what, id, re] of badIds) {
      test(`an id ${what}`, async () => {
        const b = bundle();
        const r = runtime();
        await createFails(b, [re], id, r);
        assert.ok(!fs.existsSync(path.join(r.root, escape)), 'state dir made outside the root');
        // the other commands refuse it the same way
        for (const cmd of [['state', id], ['start', id], ['kill', id, 'KILL'], ['delete', id]]) {
          const c = begin(r, id, b);
          oneLineError(tsrun(c, cmd), re);
          await assertNothingLeft(c);
        }
      });
    }
  });

  describe('other commands', () => {
    test('kill with an unknown signal name leaves the container as it was', async () => {
      const r = runtime();
      const id = `err-${uniq()}`;
      const b = bundle((s) => {
        if (s.process) s.process.args = ['sleep', '60'];
      });
      const res = tsrun(begin(r, id, b), ['create', '-b', b.dir, id]);
      containers.push({ r, id });
      assert.equal(res.status, 0, res.err);
      const before = stateOf(r, id);
      oneLineError(tsrun(begin(r, id, b), ['kill', id, 'SIGNOPE']), /signal/i, /SIGNOPE/);
      oneLineError(tsrun(begin(r, id, b), ['kill', id, 'NOPE']), /signal/i, /NOPE/);
      const now = stateOf(r, id);
      assert.equal(now.status, 'created');
      assert.equal(now.pid, before.pid);
      const del = rt(r, ['delete', '--force', id]);
      assert.equal(del.status, 0, del.err);
    });

    for (const cmd of [['kill'], ['kill', 'KILL'], ['start'], ['state'], ['delete']]) {
      test(`${cmd.join(' ')} of an id that does not exist`, async () => {
        const r = runtime();
        const id = `nope-${uniq()}`;
        const c = begin(r, id);
        const args = [cmd[0] as string, id, ...cmd.slice(1)];
        oneLineError(tsrun(c, args), new RegExp(`container ${esc(id)} does not exist`));
        await assertNothingLeft(c);
      });
    }
  });

  describe('hooks', () => {
    test('a prestart hook that exits 1', async () => {
      const dir = tmpdir();
      const hook = path.join(dir, 'fail-hook.sh');
      const marker = path.join(dir, 'ran');
      fs.writeFileSync(hook, `#!/bin/sh\ncat > ${marker}\necho "hook says no" >&2\nexit 1\n`, { mode: 0o755 });
      const b = bundle((s) => {
        s.hooks = { prestart: [{ path: hook }] };
      });
      await createFails(b, [/prestart/, new RegExp(esc(hook)), /\b1\b/]);
      assert.ok(fs.existsSync(marker), 'the hook ran');
      const state = JSON.parse(readOr(marker)) as { pid?: number };
      // the container init the hook saw must be gone
      if (state.pid) assert.ok(procState(state.pid) === undefined || procState(state.pid) === 'Z', `init ${state.pid} still running`);
    });
  });

  describe('--log --log-format json', () => {
    const cases: [string, () => Bundle & { cgroupsPath: string }, RegExp[]][] = [
      [
        'a config error',
        () =>
          bundle((s) => {
            s.root = { path: 'nowhere' };
          }),
        [/root\.path/],
      ],
      [
        'a native stage error',
        () =>
          bundle((s) => {
            s.mounts = [...(s.mounts ?? []), { destination: '/mnt/x', type: 'nosuchfs', source: 'none' }];
          }),
        [/ENODEV/],
      ],
      [
        'a missing program',
        () =>
          bundle((s) => {
            if (s.process) s.process.args = ['nope'];
          }),
        [/executable file not found/],
      ],
    ];
    for (const [what, make, patterns] of cases) {
      test(`${what} is also one JSON line in the log`, async () => {
        const b = make();
        const log = path.join(tmpdir(), 'tsrun.log');
        const r = runtime();
        const id = `err-${uniq()}`;
        const c = begin(r, id, b);
        const res = tsrun(c, ['--log', log, '--log-format', 'json', 'create', '-b', b.dir, id]);
        if (res.status === 0) containers.push({ r, id });
        const msg = oneLineError(res, ...patterns);
        await assertNothingLeft(c);
        const lines = readOr(log).split('\n').filter((l) => l !== '');
        const parsed = lines.map((l) => {
          try {
            return JSON.parse(l) as { level?: string; msg?: string };
          } catch {
            return assert.fail(`log line is not JSON: ${JSON.stringify(l)}`);
          }
        });
        const errors = parsed.filter((p) => p.level === 'error');
        assert.equal(errors.length, 1, `expected one error line in the log, got ${JSON.stringify(lines)}`);
        assert.equal(errors[0]?.msg, msg);
      });
    }
  });
});
