// exec: a new process in a created or running container. The native stage joins the container's cgroups and
// namespaces and clones the process into them (plan/exec.ts); tsrun learns its pid at `ready`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../cli/context.js';
import type { NamespaceType, Process } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import type { Plan } from '../plan/ops.js';
import { spawnInit, withParentDeath } from '../process/init.js';
import { assertTransition } from '../state/lifecycle.js';
import { type ContainerRecord, statusOf } from '../state/store.js';
import { joinTargets } from './cgroups.js';
import { waitGone } from './wait.js';

export interface ExecOptions {
  id: string;
  /** -p process.json; otherwise the config's process with `overrides`. */
  processFile?: string;
  overrides: import('../plan/exec.js').ExecOverrides;
  consoleSocket?: string;
  preserveFds: number;
  ignorePaused: boolean;
  /** --cgroup values: "path" or "controller[,controller]:path", a sub-cgroup of the container's. */
  cgroup: string[];
}

/** The namespaces the config gave the container (new or by path) that the runtime is not in itself. */
export function namespacesToJoin(rec: ContainerRecord, hostNs: (name: string) => string | undefined = (n) => readNs(`/proc/self/ns/${n}`)): NamespaceType[] {
  const types = (rec.config.linux?.namespaces ?? []).map((n) => n.type);
  const names: Record<string, string> = { network: 'net', mount: 'mnt' };
  return types.filter((t) => {
    const name = names[t] ?? t;
    const theirs = readNs(`/proc/${rec.pid}/ns/${name}`);
    if (theirs === undefined) throw new TsrunError('invalid_state', `container ${rec.id}: cannot read /proc/${rec.pid}/ns/${name}`);
    return theirs !== hostNs(name);
  });
}

function readNs(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** --cgroup: a sub-cgroup of the container's, which must exist (runc's rule). */
export function subCgroups(paths: Record<string, string>, specs: string[]): Record<string, string> {
  if (specs.length === 0) return paths;
  const out = { ...paths };
  for (const spec of specs) {
    const colon = spec.indexOf(':');
    const sub = colon < 0 ? spec : spec.slice(colon + 1);
    const controllers = colon < 0 ? Object.keys(paths) : spec.slice(0, colon).split(',');
    if (!sub || path.isAbsolute(sub) || sub.split('/').includes('..')) throw new TsrunError('usage', `--cgroup: "${spec}": the path must be relative to the container's cgroup, without ".."`);
    for (const c of controllers) {
      const key = c === '' ? 'unified' : c;
      const base = paths[key];
      if (!base) throw new TsrunError('usage', `--cgroup: "${spec}": the container has no cgroup for controller "${c}"`);
      const dir = path.join(base, sub);
      if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new TsrunError('usage', `--cgroup: "${spec}": ${dir}: no such cgroup`);
      out[key] = dir;
    }
  }
  return out;
}

export interface Exec {
  pid: number;
  process: Process;
}

/** Plans and starts the process; returns once it has reported ready (before it execs). */
export async function execProcess(ctx: Context, o: ExecOptions): Promise<Exec> {
  const rec = ctx.store.read(o.id);
  const status = statusOf(ctx.store, rec);
  if (!(status === 'paused' && o.ignorePaused)) assertTransition(o.id, status, 'exec');
  const [{ loadProcess }, plans] = await Promise.all([import('../config/load.js'), import('../plan/exec.js')]);
  const proc = o.processFile ? await loadProcess(o.processFile) : plans.execProcess(rec.config.process, o.overrides);
  const plan: Plan = withParentDeath(plans.toExecPlan(rec.config, proc, {
    id: rec.id,
    rootfs: rec.rootfs,
    initPid: rec.pid,
    join: namespacesToJoin(rec),
    cgroupJoin: joinTargets(subCgroups(rec.cgroupPaths, o.cgroup)),
    consoleSocket: o.consoleSocket ? path.resolve(o.consoleSocket) : undefined,
    preserveFds: o.preserveFds,
    noNewKeyring: rec.noNewKeyring ?? false,
    warn: ctx.warn,
  }));
  ctx.debugLog(`exec ${o.id}: plan of ${plan.ops.length} ops into init ${rec.pid}`);
  const stage = spawnInit(o.preserveFds);
  let pid: number | undefined;
  try {
    const result = stage.run(plan, {
      onPid: (p) => {
        pid = p;
      },
      onSync: (name) => {
        throw new TsrunError('create_failed', `native stage: unexpected sync point "${name}" in exec`);
      },
    });
    // The process is the native stage's child until the stage exits (right after clone): only then is it
    // reparented to tsrun (a child subreaper in the foreground) and can be waited for.
    if (!waitGone(stage.pid)) throw new TsrunError('create_failed', `native stage ${stage.pid} did not exit after clone`);
    stage.release();
    return { pid: result.pid, process: proc };
  } catch (e) {
    for (const p of [pid, stage.pid]) {
      if (p === undefined) continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
      waitGone(p);
    }
    stage.release();
    throw e;
  }
}
