// What the v1 and v2 managers share: joining, listing pids, and removing only the directories they made.
// Subclasses decide how one placement's directories are created (createIn) and which directory lists the pids.
import * as path from 'node:path/posix';
import { CgroupError, CGROUP_CODES, errCode, withHint } from './errors.js';
import type { CgroupIo } from './io.js';
import type { CgroupManager, Placement } from './manager.js';
import type { ApplyOptions, LinuxResources } from './resources.js';

/** The key of the cgroup2 directory in paths(), both in hybrid mode and on a v2 host (runc uses ""). */
export const UNIFIED = 'unified';

/** rmdir of a cgroup whose last processes are still exiting fails with EBUSY for a moment: 10+20+...+640 ms. */
const REMOVE_RETRIES = 7;
const REMOVE_FIRST_DELAY_MS = 10;

const JOIN_HINTS: Readonly<Record<string, string>> = {
  ENOSPC: 'cpuset.cpus or cpuset.mems of the cgroup is empty',
  ESRCH: 'no such process',
  EBUSY: 'cgroup v2 allows processes only in cgroups that do not enable controllers for children (cgroup.subtree_control)',
};

export abstract class BaseManager implements CgroupManager {
  abstract readonly version: 'v1' | 'v2';
  protected created: string[];

  constructor(
    protected readonly placements: readonly Placement[],
    protected readonly io: CgroupIo,
    created: readonly string[],
  ) {
    this.created = [...created];
  }

  /** Creates what is missing of one placement's directories, pushing each directory it made onto `made` at once. */
  protected abstract createIn(p: Placement, made: string[]): void;
  /** The directory whose cgroup.procs (recursively) lists the container's processes. */
  protected abstract pidsDir(): string;
  abstract apply(resources: LinuxResources, opts?: ApplyOptions): void;

  paths(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of this.placements) for (const name of p.names) out[name] = p.dir;
    return out;
  }

  createdDirs(): string[] {
    return [...this.created];
  }

  async create(): Promise<void> {
    for (const p of this.placements) {
      if (!this.io.exists(p.dir)) continue;
      const pids = readPidsTree(p.dir, this.io);
      if (pids.length > 0) {
        throw new CgroupError(CGROUP_CODES.notEmpty, `cgroup: ${p.dir} already exists and has ${pids.length} process(es) (${pids.slice(0, 5).join(', ')}); a container needs a cgroup of its own`, { path: p.dir });
      }
    }
    const made: string[] = [];
    try {
      for (const p of this.placements) this.createIn(p, made);
    } catch (err) {
      throw rollback(made, this.io, err);
    }
    for (const dir of made) if (!this.created.includes(dir)) this.created.push(dir);
  }

  join(pid: number): void {
    for (const p of this.placements) {
      const file = path.join(p.dir, 'cgroup.procs');
      try {
        this.io.write(file, String(pid));
      } catch (err) {
        const hint = err instanceof CgroupError ? JOIN_HINTS[err.code] : undefined;
        throw err instanceof CgroupError && hint !== undefined ? withHint(err, hint) : err;
      }
    }
  }

  procsFiles(): string[] {
    return this.placements.map((p) => path.join(p.dir, 'cgroup.procs'));
  }

  pids(): number[] {
    return readPidsTree(this.pidsDir(), this.io);
  }

  async destroy(): Promise<void> {
    const mine = new Set(this.created);
    const leaves = this.placements.map((p) => p.dir).filter((d) => mine.has(d));
    const failures: CgroupError[] = [];
    for (const dir of leaves) {
      try {
        await removeTreeRetrying(dir, this.io);
      } catch (err) {
        failures.push(asCgroupError(err));
      }
    }
    // Parents this manager made: deepest first, and only if nobody else (another container) is in them now.
    const parents = this.created.filter((d) => !leaves.includes(d)).sort((a, b) => depth(b) - depth(a));
    for (const dir of parents) {
      try {
        this.io.rmdir(dir);
      } catch (err) {
        const code = errCode(err);
        if (code !== 'ENOENT' && code !== 'EBUSY' && code !== 'ENOTEMPTY') failures.push(asCgroupError(err));
      }
    }
    this.created = this.created.filter((d) => this.io.exists(d));
    const [first, ...rest] = failures;
    if (first) {
      throw rest.length === 0 ? first : new CgroupError(first.code, `${first.message} (and ${rest.length} more: ${rest.map((e) => e.message).join('; ')})`, { path: first.path, cause: first });
    }
  }
}

const depth = (dir: string): number => dir.split('/').length;

function asCgroupError(err: unknown): CgroupError {
  return err instanceof CgroupError ? err : new CgroupError('EIO', `cgroup: ${String(err)}`, { cause: err });
}

/** mkdir that reports whether this call made the directory (false: it appeared meanwhile, so it is not ours). */
export function mkdirOwn(dir: string, io: CgroupIo): boolean {
  try {
    io.mkdir(dir);
    return true;
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  }
}

/** The directories between the hierarchy root (exclusive) and dir (inclusive) that do not exist yet, top-down. */
export function missingLevels(dir: string, root: string | undefined, io: CgroupIo): string[] {
  if (root !== undefined && !dir.startsWith(`${root}/`)) {
    throw new CgroupError(CGROUP_CODES.invalidPath, `cgroup: ${dir} is not below the hierarchy mounted at ${root}`, { path: dir });
  }
  const missing: string[] = [];
  for (let d = dir; d !== root && d !== '/' && !io.exists(d); d = path.dirname(d)) missing.unshift(d);
  return missing;
}

/** Every pid in dir's cgroup.procs and in those of its child cgroups. A missing dir has none. */
export function readPidsTree(dir: string, io: CgroupIo): number[] {
  const pids = new Set<number>();
  const walk = (d: string): void => {
    let text: string;
    let children: string[];
    try {
      text = io.read(path.join(d, 'cgroup.procs'));
      children = io.subdirs(d);
    } catch (err) {
      // A cgroup that vanishes while we look (or was never made) holds no processes.
      if (errCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const line of text.split('\n')) if (line.trim() !== '') pids.add(Number(line));
    for (const c of children) walk(path.join(d, c));
  };
  walk(dir);
  return [...pids];
}

/** rmdir of dir after its child cgroups (a container may make some in its cgroup namespace). Missing is fine. */
export function removeTree(dir: string, io: CgroupIo): void {
  let children: string[];
  try {
    children = io.subdirs(dir);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return;
    throw err;
  }
  for (const c of children) removeTree(path.join(dir, c), io);
  try {
    io.rmdir(dir);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err;
  }
}

async function removeTreeRetrying(dir: string, io: CgroupIo): Promise<void> {
  let delay = REMOVE_FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      removeTree(dir, io);
      return;
    } catch (err) {
      if (errCode(err) !== 'EBUSY' || attempt >= REMOVE_RETRIES) {
        throw errCode(err) === 'EBUSY' && err instanceof CgroupError ? withHint(err, 'the cgroup still has processes') : err;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay *= 2;
  }
}

/** Removes the directories a failed create made (deepest first) and returns the error to throw: both, if that fails too. */
function rollback(made: readonly string[], io: CgroupIo, err: unknown): CgroupError {
  const first = asCgroupError(err);
  const cleanup: string[] = [];
  for (const dir of [...made].reverse()) {
    try {
      io.rmdir(dir);
    } catch (e) {
      if (errCode(e) !== 'ENOENT') cleanup.push(asCgroupError(e).message);
    }
  }
  if (cleanup.length === 0) return first;
  return new CgroupError(first.code, `${first.message}; cleanup also failed: ${cleanup.join('; ')}`, { path: first.path, cause: first });
}
