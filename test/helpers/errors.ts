// Helpers for the errors-and-bad-input tests (test/integration/errors-*.test.ts). Errors and bad input (DESIGN.md): every failure is one line on stderr, `tsrun: <what was wrong>`, naming the
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
import { after } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { type Bundle, REPO, type Runtime, forceDelete, makeBundle, tsrunRuntime } from './bundle.js';

// shared/ sits beside the repository (in CI too): fixtures are read from there at test time.
export const FIXTURES = path.join(REPO, '..', 'shared', 'oci-runtime-spec', 'fixtures', 'config', 'bad');
const CGROUP_FS = '/sys/fs/cgroup';

// ---------------------------------------------------------------------------------------------------------------
// Bookkeeping for the `after` hook: everything a test makes, and anything tsrun wrongly leaves behind.

export const bundles: Bundle[] = [];
export const tmpdirs: string[] = [];
export const containers: { r: Runtime; id: string }[] = [];
/** Cgroup dirs found left behind (removed in `after`, deepest first). */
export const strayCgroups = new Set<string>();
/** Processes found left behind, with their start times so a reused pid is never killed. */
export const strayPids = new Map<number, string | undefined>();

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
export const uniq = (): string => `${process.pid}-${++counter}`;

export function tmpdir(prefix = 'tsrun-err-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpdirs.push(d);
  return d;
}

/** A tsrun with a fresh, empty state root. */
export function runtime(): Runtime {
  return tsrunRuntime(tmpdir('tsrun-err-state-'));
}

/** A bundle from the example config with a unique linux.cgroupsPath. */
export function bundle(edit?: (s: Spec) => void, script = 'true'): Bundle & { cgroupsPath: string } {
  const cgroupsPath = `/tsrun-err-${uniq()}`;
  const b = makeBundle(script, (s) => {
    s.linux = { ...(s.linux ?? {}), cgroupsPath };
    edit?.(s);
  });
  bundles.push(b);
  return Object.assign(b, { cgroupsPath });
}

export const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// ---------------------------------------------------------------------------------------------------------------
// Processes

export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

export function readlinkOr(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '';
  }
}

export function readOr(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export function pids(): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** tsrun-init processes now running, as "pid:starttime". */
export function initProcs(): Set<string> {
  const out = new Set<string>();
  for (const pid of pids()) {
    if (readOr(`/proc/${pid}/comm`).trim() === 'tsrun-init' && procState(pid) !== 'Z') out.add(`${pid}:${startTime(pid)}`);
  }
  return out;
}

export const inside = (p: string, dir: string): boolean => p === dir || p.startsWith(`${dir}/`);

// ---------------------------------------------------------------------------------------------------------------
// Cgroups: the container's dir in every hierarchy, for the given cgroupsPath and for the default (<own>/<id>).

export function hierarchies(): { dir: string; own: string }[] {
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

export function cgroupDirsOf(id: string, cgroupsPath?: string): string[] {
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

export function begin(r: Runtime, id: string, b?: { dir: string; cgroupsPath?: string }, keep: string[] = []): Case {
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
export function tsrun(c: Case, args: string[]): Result {
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
export function oneLineError(res: Result, ...patterns: RegExp[]): string {
  const shown = `status ${res.status}, signal ${res.signal}, stderr ${JSON.stringify(res.err)}, stdout ${JSON.stringify(res.out)}`;
  assert.ok(res.status !== 0 && res.status !== null, `expected a non-zero exit: ${shown}`);
  assert.match(res.err, /^tsrun: [^\n]+\n$/, `expected exactly one stderr line starting with "tsrun: ": ${shown}`);
  const msg = res.err.slice('tsrun: '.length, -1);
  for (const p of patterns) assert.match(msg, p, `stderr ${JSON.stringify(res.err)} should match ${p}`);
  return msg;
}

/** Everything the case could have left behind; [] when nothing. */
export function leftovers(c: Case): string[] {
  const problems: string[] = [];
  // state
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(c.r.root);
  } catch {
    // no root: nothing in it
  }
  // @seccomp holds compiled programs shared by every container of the root (runtime/src/seccomp/cache.ts)
  const extra = entries.filter((e) => e !== '@seccomp' && !(c.keep ?? []).includes(e));
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

export async function assertNothingLeft(c: Case): Promise<void> {
  // A killed init may take a moment to be reaped by its new parent; processes get a short grace, the rest not.
  let problems = leftovers(c);
  for (let i = 0; i < 20 && problems.some((p) => p.startsWith('process ')); i++) {
    await sleep(50);
    problems = leftovers(c);
  }
  assert.deepEqual(problems, [], `left behind after the failure:\n  ${problems.join('\n  ')}`);
}

/** create must fail with one line matching every pattern and leave nothing behind; returns the message. */
export async function createFails(b: { dir: string; cgroupsPath?: string }, patterns: RegExp[], id = `err-${uniq()}`, r = runtime()): Promise<string> {
  const c = begin(r, id, b);
  const res = tsrun(c, ['create', '-b', b.dir, id]);
  if (res.status === 0) containers.push({ r, id });
  const msg = oneLineError(res, ...patterns);
  await assertNothingLeft(c);
  return msg;
}

// ---------------------------------------------------------------------------------------------------------------

