// Test bundles: a busybox rootfs (built once per test process, copied per bundle) and a config to tweak.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Spec } from '../../runtime/src/config/spec.js';

/** The repository root (tests run from dist/test/...). */
export const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const TSRUN = path.join(REPO, 'bin', 'tsrun');
export const RUNC = '/usr/sbin/runc';

export const isRoot = process.getuid?.() === 0;
export const needRoot = isRoot ? false : 'not root';

let baseRootfs: string | undefined;

function rootfsTemplate(): string {
  if (!baseRootfs) {
    baseRootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-rootfs-'));
    execFileSync(path.join(REPO, 'scripts', 'make-rootfs.sh'), [baseRootfs]);
    process.on('exit', () => fs.rmSync(baseRootfs as string, { recursive: true, force: true }));
  }
  return baseRootfs;
}

/** A config like the example bundle's, running `sh -c script`. */
export function baseSpec(script: string): Spec {
  const spec = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'busybox', 'config.json'), 'utf8')) as Spec;
  if (spec.process) spec.process.args = ['sh', '-c', script];
  return spec;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  spec: Spec;
  write(): void;
  remove(): void;
}

export function makeBundle(script = 'true', edit?: (s: Spec) => void): Bundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bundle-'));
  const rootfs = path.join(dir, 'rootfs');
  execFileSync('cp', ['-a', rootfsTemplate(), rootfs]);
  // mkdtemp makes 0700 directories: a container user other than root must be able to reach its own /
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(rootfs, 0o755);
  const spec = baseSpec(script);
  edit?.(spec);
  const b: Bundle = {
    dir,
    rootfs,
    spec,
    write: () => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(b.spec, null, 2)),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  b.write();
  return b;
}

export interface Runtime {
  name: string;
  bin: string;
  root: string;
  env?: NodeJS.ProcessEnv;
}

/** A state root under the temp dir, removed when the test process exits if it is empty by then (a container
 * left behind keeps it, so the leak stays visible). */
function stateRoot(prefix: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => {
    try {
      fs.rmdirSync(root);
    } catch {
      // not empty: left for whoever looks into the leak
    }
  });
  return root;
}

export function tsrunRuntime(root = stateRoot('tsrun-state-'), engine?: 'node' | 'bun'): Runtime {
  return { name: engine ? `tsrun(${engine})` : 'tsrun', bin: TSRUN, root, env: engine ? { ...process.env, TSRUN_ENGINE: engine } : process.env };
}

export function runcRuntime(root = stateRoot('runc-state-')): Runtime {
  return { name: 'runc', bin: RUNC, root };
}

/** Runs a runtime command; returns stdout/stderr/status. */
export function rt(r: Runtime, args: string[], opts: { input?: string; timeout?: number; cwd?: string; extraFds?: number[] } = {}): SpawnSyncReturns<string> & { out: string; err: string } {
  // Output goes to files, not pipes: a created or detached container inherits the runtime's stdout and stderr
  // and would hold a pipe open long after the runtime exits.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-out-'));
  const outFd = fs.openSync(path.join(dir, 'out'), 'w+');
  const errFd = fs.openSync(path.join(dir, 'err'), 'w+');
  try {
    const stdio = ['pipe', outFd, errFd, ...(opts.extraFds ?? [])] as ('pipe' | number)[];
    const res = spawnSync(r.bin, ['--root', r.root, ...args], { encoding: 'utf8', input: opts.input ?? '', timeout: opts.timeout ?? 30_000, env: r.env, cwd: opts.cwd, stdio });
    const out = fs.readFileSync(path.join(dir, 'out'), 'utf8');
    const err = fs.readFileSync(path.join(dir, 'err'), 'utf8');
    return Object.assign(res, { stdout: out, stderr: err, out, err });
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a container to completion in the foreground and returns its output and exit status. */
export function runContainer(r: Runtime, b: Bundle, id: string): { out: string; err: string; status: number | null } {
  const res = rt(r, ['run', '-b', b.dir, id]);
  return { out: res.out, err: res.err, status: res.status };
}

export function stateOf(r: Runtime, id: string): { status: string; pid: number; [k: string]: unknown } {
  const res = rt(r, ['state', id]);
  if (res.status !== 0) throw new Error(`state ${id}: ${res.err}`);
  return JSON.parse(res.out);
}

/** Removes a container whatever state it is in; for `after` hooks. */
export function forceDelete(r: Runtime, id: string): void {
  rt(r, ['delete', '--force', id]);
}

export function hostNs(kind: string): string {
  return fs.readlinkSync(`/proc/self/ns/${kind}`);
}

/** Cgroup dirs of a pid as "hierarchy:path" lines from /proc/<pid>/cgroup. */
export function procCgroups(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
}

export function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));
}

/** Reads everything from a pty master until the container side closes (EIO). */
export function readPty(fd: number): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = fs.createReadStream('', { fd, autoClose: false });
    s.on('data', (d) => (out += d));
    s.on('error', () => resolve(out));
    s.on('end', () => resolve(out));
  });
}

/** The path of an executable found in $PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Whether a process exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
