// Freezing and thawing one cgroup directory, and cgroup.kill, as runc does it (pause, resume, kill --all).
//
// v1: write FROZEN or THAWED to <dir>/freezer.state and poll until it reads back the same (FREEZING is transient;
// a freeze that stays FREEZING is kicked by writing again, as runc does). v2: write 1 or 0 to <dir>/cgroup.freeze and
// poll <dir>/cgroup.events until it says `frozen 1` or `frozen 0`. A freeze that does not complete in time is undone
// (thawed) and reported, so a failed pause leaves the container running.
import * as path from 'node:path/posix';
import { CgroupError, CGROUP_CODES } from './errors.js';
import { nodeIo, type CgroupIo } from './io.js';

export interface Freezer {
  kind: 'v1' | 'v2';
  dir: string;
}

export interface FreezeOptions {
  io?: CgroupIo;
  /** How long to wait for the kernel (default 5 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => void;
}

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * Which freezer a container's recorded cgroup paths use: the v1 freezer hierarchy when it has one (runc 1.1 on a
 * hybrid host uses only that), else cgroup.freeze of its cgroup2 directory when that is its only hierarchy (a v2
 * host). undefined: nothing can freeze it.
 */
export function freezerOf(paths: Record<string, string>, io: CgroupIo = nodeIo): Freezer | undefined {
  const v1 = paths.freezer;
  if (v1) return { kind: 'v1', dir: v1 };
  const names = Object.keys(paths);
  const v2 = names.length === 1 ? paths[names[0] as string] : undefined;
  if ((names[0] === 'unified' || names[0] === '') && v2 && io.exists(path.join(v2, 'cgroup.freeze'))) return { kind: 'v2', dir: v2 };
  return undefined;
}

/** What the freezer says now: true when the whole cgroup is frozen. */
export function isFrozen(f: Freezer, io: CgroupIo = nodeIo): boolean {
  if (f.kind === 'v1') return io.read(path.join(f.dir, 'freezer.state')).trim() === 'FROZEN';
  return /^frozen 1$/m.test(io.read(path.join(f.dir, 'cgroup.events')));
}

function request(f: Freezer, frozen: boolean, io: CgroupIo): void {
  if (f.kind === 'v1') io.write(path.join(f.dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
  else io.write(path.join(f.dir, 'cgroup.freeze'), frozen ? '1' : '0');
}

function settled(f: Freezer, frozen: boolean, io: CgroupIo): boolean {
  if (f.kind === 'v1') return io.read(path.join(f.dir, 'freezer.state')).trim() === (frozen ? 'FROZEN' : 'THAWED');
  return new RegExp(`^frozen ${frozen ? 1 : 0}$`, 'm').test(io.read(path.join(f.dir, 'cgroup.events')));
}

/** Writes the request and waits until the kernel reports it done; throws a CgroupError on timeout. */
export function setFrozen(f: Freezer, frozen: boolean, opts: FreezeOptions = {}): void {
  const io = opts.io ?? nodeIo;
  const sleep = opts.sleep ?? sleepSync;
  const timeoutMs = opts.timeoutMs ?? 5000;
  request(f, frozen, io);
  let waited = 0;
  for (let i = 1, delay = 1; !settled(f, frozen, io); i++) {
    if (waited >= timeoutMs) {
      const file = f.kind === 'v1' ? 'freezer.state' : 'cgroup.events';
      if (frozen) {
        try {
          setFrozen(f, false, { ...opts, timeoutMs: Math.min(timeoutMs, 1000) });
        } catch {
          // reported below
        }
      }
      throw new CgroupError(CGROUP_CODES.notApplied, `cgroup: ${frozen ? 'freezing' : 'thawing'} ${f.dir} did not complete within ${timeoutMs} ms (${path.join(f.dir, file)})`, { path: f.dir });
    }
    // v1: a freeze can stay FREEZING when a task was busy at the moment of the write; asking again kicks it.
    if (f.kind === 'v1' && i % 25 === 0) request(f, frozen, io);
    sleep(delay);
    waited += delay;
    delay = Math.min(delay * 2, 20);
  }
}

/** Whether dir has cgroup.kill (cgroup v2, Linux 5.14 or later). */
export function hasCgroupKill(dir: string, io: CgroupIo = nodeIo): boolean {
  return io.exists(path.join(dir, 'cgroup.kill'));
}

/** SIGKILLs every process in dir and its descendants at once (cgroup.kill). */
export function killCgroup(dir: string, io: CgroupIo = nodeIo): void {
  io.write(path.join(dir, 'cgroup.kill'), '1');
}
