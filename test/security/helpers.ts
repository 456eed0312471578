// What the security tests share: small C programs compiled at test time (an attacker needs syscalls busybox has no
// applet for), file hashes, a cleanup list, and an exec stage held still inside a container so that a process in
// the container can attack it (the real exec plan of `tsrun exec`, with one sync point added after clone).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NamespaceType, Spec } from '../../runtime/src/config/spec.js';
import { toExecPlan } from '../../runtime/src/plan/exec.js';
import { spawnInit } from '../../runtime/src/process/init.js';
import { type Bundle, type Runtime, rt, stateOf } from '../helpers/bundle.js';

export { NATIVE_INIT } from '../../runtime/src/process/init.js';

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

const built = new Map<string, string>();

/** Compiles a C program statically (it runs inside busybox rootfses) and returns its path; cached per process. */
export function compileC(name: string, source: string): string {
  const have = built.get(name);
  if (have) return have;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sec-cc-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, `${name}.c`), source);
  const out = path.join(dir, name);
  execFileSync('cc', ['-static', '-O1', '-o', out, path.join(dir, `${name}.c`)], { stdio: ['ignore', 'ignore', 'inherit'] });
  built.set(name, out);
  return out;
}

/** Everything a test file made: containers (by id), bundles, dirs; removed in `after`. */
export class Cleanup {
  ids: string[] = [];
  bundles: Bundle[] = [];
  dirs: string[] = [];
  constructor(readonly r: Runtime) {}
  run(): void {
    for (const id of this.ids) rt(this.r, ['delete', '-f', id]);
    this.bundles.forEach((b) => b.remove());
    for (const d of [...this.dirs, this.r.root]) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** The namespace types of a container that the test process is not in. */
function toJoin(spec: Spec, pid: number): NamespaceType[] {
  const names: Record<string, string> = { network: 'net', mount: 'mnt' };
  return (spec.linux?.namespaces ?? []).map((n) => n.type).filter((t) => {
    const n = names[t] ?? t;
    return fs.readlinkSync(`/proc/${pid}/ns/${n}`) !== fs.readlinkSync(`/proc/self/ns/${n}`);
  });
}

/**
 * Runs `tsrun exec`'s plan for `args` in container `id` by hand, holding the exec stage (the cloned process, inside
 * the container's namespaces, not yet exec'd) at a sync point after op `holdAfter` while `attack(stagePid,
 * parentPid)` runs (host pids); then lets the stage go on to exec `args`.
 */
export function withHeldExecStage(r: Runtime, id: string, spec: Spec, args: string[], attack: (stagePid: number, parentPid: number) => void, holdAfter = 'clone'): void {
  const st = stateOf(r, id);
  const proc = { ...spec.process!, args, terminal: false };
  const plan = toExecPlan(spec, proc, { id, rootfs: String(st.rootfs), initPid: st.pid, join: toJoin(spec, st.pid), preserveFds: 0, warn: () => {} });
  const at = plan.ops.findIndex((o) => o.op === holdAfter);
  if (at < 0) throw new Error(`exec plan has no op "${holdAfter}"`);
  plan.ops.splice(at + 1, 0, { op: 'sync', name: 'hold' });
  const stage = spawnInit(0);
  try {
    stage.run(plan, {
      onPid: () => {},
      onSync: (_name, pid) => {
        attack(pid, stage.pid);
        return '{}';
      },
    });
  } catch (e) {
    stage.kill();
    throw e;
  }
}

/** The pid a host process has in the pid namespace of another (NSpid's last field). */
export function nsPid(hostPid: number): number {
  const line = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
  return Number(line?.trim().split(/\s+/).at(-1));
}
