// create: bundle -> plan -> native stage -> a container waiting on its exec fifo. A failure at any point
// removes everything this create made: the init process, the cgroups, the state directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../cli/context.js';
import { readBundle } from '../config/read.js';
import type { Spec } from '../config/spec.js';
import { OCI_VERSION } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import { runHooks } from '../hooks/run.js';
import { libc } from '../linux/libc.js';
import type { Plan } from '../plan/ops.js';
import { type NativeStage, spawnInit, withParentDeath } from '../process/init.js';
import { unmountBelow } from '../rootfs/host-mounts.js';
import { writePidFile } from '../state/pid-file.js';
import { type ContainerRecord, lockDir, procStat } from '../state/store.js';
import { type Cgroups, cgroupsFor, joinTargets } from './cgroups.js';
import { waitGone } from './wait.js';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  noPivot: boolean;
  noNewKeyring: boolean;
}

function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return process.env.LISTEN_PID === String(process.pid) && n > 0 ? n : 0;
}

export function ownerName(uid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (Number(f[2]) === uid && f[0]) return f[0];
    }
  } catch {
    // fall through to the number
  }
  return String(uid);
}

// The validators and the plan compiler (with its syscall tables) are the largest modules: loaded on demand, so
// that create has its native stage spawned and joining cgroups while they load.
const heavy = () => Promise.all([import('../config/load.js'), import('../plan/compile.js')]);

async function planWith(ctx: Context, o: CreateOptions, spec: Spec, bundle: string, rootfs: string, cgroups: Cgroups): Promise<Plan> {
  const [, { toPlan }] = await heavy();
  return toPlan(spec, {
    id: o.id,
    bundle,
    rootfs,
    fifo: ctx.store.fifo(o.id),
    consoleSocket: o.consoleSocket ? path.resolve(o.consoleSocket) : undefined,
    listenFds: listenFds(),
    preserveFds: o.preserveFds,
    noPivot: o.noPivot,
    noNewKeyring: o.noNewKeyring,
    cgroupMode: cgroups.mode,
    hierarchies: cgroups.hierarchies(),
    warn: ctx.warn,
    cgroupJoin: joinTargets(cgroups.paths()),
  });
}

/** What create would do, without doing it (`create --dry-run`). */
export async function planFor(ctx: Context, o: CreateOptions): Promise<{ plan: Plan }> {
  const [{ loadBundle }] = await heavy();
  const { spec, bundle, rootfs } = await loadBundle(o.bundle);
  return { plan: await planWith(ctx, o, spec, bundle, rootfs, cgroupsFor(spec.linux?.cgroupsPath, o.id, ctx.systemdCgroup)) };
}

function rawCgroupsPath(doc: unknown): string | undefined {
  const p = (doc as { linux?: { cgroupsPath?: unknown } } | null)?.linux?.cgroupsPath;
  return typeof p === 'string' ? p : undefined;
}

function hasMountNs(spec: Spec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === 'mount');
}

/**
 * The native stage is spawned first and loads while the config is validated and compiled; it places itself and
 * the init into the container's cgroups (see joinTargets), so no cgroup.procs write waits on the kernel's lock.
 */
export async function createContainer(ctx: Context, o: CreateOptions): Promise<ContainerRecord> {
  const raw = await readBundle(o.bundle);
  const cgroups = cgroupsFor(rawCgroupsPath(raw.doc), o.id, ctx.systemdCgroup);
  const dir = ctx.store.reserve(o.id);
  const lock = lockDir(dir, libc.flockExclusive);
  let pid: number | undefined;
  let stage: NativeStage | undefined;
  let cgroupsCreated = false;
  let hostMounts: string | undefined;
  try {
    await cgroups.create();
    cgroupsCreated = true;
    stage = spawnInit(listenFds() + o.preserveFds);
    ctx.debugLog(`create ${o.id}: native stage ${stage.pid}, cgroups ${Object.values(cgroups.paths()).join(' ')}`);
    const [{ verifyBundle }] = await heavy();
    const { spec, bundle, rootfs } = await verifyBundle(raw);
    if (!hasMountNs(spec)) hostMounts = rootfs;
    const plan = withParentDeath(await planWith(ctx, o, spec, bundle, rootfs, cgroups));
    ctx.debugLog(`create ${o.id}: bundle ${bundle}, plan of ${plan.ops.length} ops (create --dry-run prints it)`);
    const record: ContainerRecord = {
      id: o.id,
      pid: 0,
      startTime: 0,
      bundle,
      rootfs,
      created: new Date().toISOString(),
      owner: ownerName(process.getuid?.() ?? 0),
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
      cgroupPaths: cgroups.paths(),
      cgroupCreated: cgroups.createdDirs(),
      ...(spec.hooks ? { hooks: spec.hooks } : {}),
      config: spec,
      creating: true,
      ...(hostMounts ? { hostMounts: true } : {}),
      ...(o.noNewKeyring ? { noNewKeyring: true } : {}),
    };
    const hookState = (status: string) => ({ ociVersion: OCI_VERSION, id: o.id, status, pid, bundle, ...(spec.annotations ? { annotations: spec.annotations } : {}) });
    // 0622 whatever the umask: the init may have switched to another user by the time it opens the fifo.
    libc.mkfifo(ctx.store.fifo(o.id), 0o622);
    fs.chmodSync(ctx.store.fifo(o.id), 0o622);
    // Always, as runc: on v1 even a config without resources gets the default device rules.
    cgroups.apply(spec.linux?.resources ?? {}, { warn: ctx.warn });
    const result = await stage.run(plan, {
      onPid: (p) => {
        pid = p;
        record.pid = p;
        record.startTime = procStat(p)?.startTime ?? 0;
        ctx.store.write(record, false);
      },
      onSync: (name) => {
        if (name !== 'hooks') throw new TsrunError('create_failed', `native stage: unknown sync point "${name}"`);
        runHooks('prestart', spec.hooks?.prestart, hookState('creating'));
        runHooks('createRuntime', spec.hooks?.createRuntime, hookState('creating'));
        return JSON.stringify(hookState('creating'));
      },
    });
    pid = result.pid;
    // The init is reparented (to `run`, a subreaper) only once the native stage has exited: wait for that, or a
    // waitpid right after create could find no such child on a loaded machine.
    if (!waitGone(stage.pid)) throw new TsrunError('create_failed', `native stage ${stage.pid} did not exit after clone`);
    stage.release();
    ctx.debugLog(`create ${o.id}: container init ${pid} ready, waiting on ${ctx.store.fifo(o.id)}`);
    delete record.creating;
    ctx.store.write(record);
    if (o.pidFile) writePidFile(o.pidFile, result.pid);
    return record;
  } catch (e) {
    const problems: string[] = [];
    for (const p of [pid, stage?.pid]) {
      if (p === undefined) continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
      if (!waitGone(p)) problems.push(`process ${p} did not exit`);
    }
    if (hostMounts) {
      try {
        unmountBelow(hostMounts, libc.umountDetach);
      } catch (ue) {
        problems.push((ue as Error).message);
      }
    }
    if (cgroupsCreated) {
      try {
        await cgroups.destroy();
      } catch (ce) {
        problems.push((ce as Error).message);
      }
    }
    lock.close();
    ctx.store.remove(o.id);
    const message = (e as Error).message;
    if (problems.length) throw new TsrunError('create_failed', `${message} (cleanup also failed: ${problems.join('; ')})`, { cause: e });
    throw e;
  } finally {
    stage?.release();
    lock.close();
  }
}
