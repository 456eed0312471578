// Tasks: one tsrun-shim per container. Create writes the bundle (config.json from the stored spec, the rootfs),
// starts the shim, subscribes to its events and only then asks it to create the container (so no event is ever
// missed); a failure anywhere removes everything made so far. Delete removes it all again.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { SupervisorError, exists, fromShim, invalid, notFound, precondition } from '../errors.js';
import type { Exchange } from '../events/exchange.js';
import { checkExecId, checkId } from '../ids.js';
import type { KeyedLock } from '../lock.js';
import { removeEmptyCgroups } from '../runtime/cgroups.js';
import { mountRootfs, unmountRootfs } from '../runtime/rootfs.js';
import { Status, type ExitInfo, type ShimLauncher, type ShimOptions, type ShimState, type ShimStdio } from '../runtime/shim-api.js';
import { Task } from '../runtime/task.js';
import type { ContainerRecord } from '../store/containers.js';
import { bundleDir, removeTask, type StdioRecord, type TaskRecord } from '../store/tasks.js';
import { parseSpec } from './containers.js';
import { checkBundle } from './validate.js';

export interface TaskDeps {
  state: string;
  exchange: Exchange;
  lock: KeyedLock;
  launcher: ShimLauncher;
  /** The default runtime binary (bin/tsrun of this checkout). */
  runtime: string;
  container(ns: string, id: string): ContainerRecord;
}

export interface ProcessView {
  containerId: string;
  execId: string;
  pid: number;
  status: number;
  stdio: StdioRecord;
  exitStatus: number;
  exitedAt: number;
}

async function readPid(file: string): Promise<number> {
  return Number((await fs.readFile(file, 'utf8').catch(() => '')).trim()) || 0;
}

/** Waits (at most ms) until a process that is not our child has exited: gone from /proc, or a zombie. */
async function exited(pid: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat || / Z /.test(stat.slice(stat.lastIndexOf(')')))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** How long Delete waits for the shim's last events once it has asked it to shut down. */
const DRAIN_MS = 5000;

export class TaskService {
  readonly tasks = new Map<string, Task>();
  /** Creates under way per namespace: a namespace's cgroup is only removed while it has no task and none of these. */
  private readonly creating = new Map<string, number>();

  constructor(readonly d: TaskDeps) {}

  has(ns: string, id: string): boolean {
    return this.tasks.has(`${ns}/${id}`);
  }

  need(ns: string, id: string): Task {
    const t = this.tasks.get(`${ns}/${checkId('container id', id)}`);
    if (!t) {
      this.d.container(ns, id);
      throw notFound(`task ${id} not found in namespace ${ns}`);
    }
    return t;
  }

  shimOptions(c: Pick<ContainerRecord, 'id' | 'runtime'>, ns: string): ShimOptions {
    return {
      id: c.id,
      namespace: ns,
      bundle: bundleDir(this.d.state, ns, c.id),
      stateDir: path.join(this.d.state, 'shims', ns, c.id),
      runtime: c.runtime.runtime || this.d.runtime,
      runtimeRoot: c.runtime.runtimeRoot || path.join(this.d.state, 'runtime', ns),
    };
  }

  async create(ns: string, id: string, stdio: StdioRecord): Promise<Task> {
    checkId('container id', id);
    this.creating.set(ns, (this.creating.get(ns) ?? 0) + 1);
    try {
      return await this.createLocked(ns, id, stdio);
    } finally {
      const n = (this.creating.get(ns) ?? 1) - 1;
      if (n > 0) this.creating.set(ns, n);
      else this.creating.delete(ns);
      this.pruneCgroups(ns);
    }
  }

  /** Removes the namespace's cgroup (/tsrund/<ns>), and tsrund's, once nothing of tsrund's can be in them. */
  private pruneCgroups(ns: string): void {
    // n: one namespace; undefined: any (for tsrund's own /tsrund)
    const inUse = (n?: string): boolean => {
      const creating = n === undefined ? this.creating.size > 0 : this.creating.has(n);
      return creating || [...this.tasks.values()].some((t) => n === undefined || t.rec.namespace === n);
    };
    if (inUse(ns)) return;
    // synchronous: no create can start between the check and the rmdir
    removeEmptyCgroups(inUse() ? [`tsrund/${ns}`] : [`tsrund/${ns}`, 'tsrund']);
  }

  private createLocked(ns: string, id: string, stdio: StdioRecord): Promise<Task> {
    return this.d.lock.run(`${ns}/${id}`, async () => {
      const c = this.d.container(ns, id);
      if (this.has(ns, id)) throw exists(`task ${id} already exists in namespace ${ns}`);
      const opts = this.shimOptions(c, ns);
      await fs.rm(opts.bundle, { recursive: true, force: true });
      await fs.mkdir(opts.bundle, { recursive: true, mode: 0o711 });
      let task: Task | undefined;
      let mounted = false;
      let started = false;
      try {
        const spec = parseSpec(c.spec, `container ${id}`);
        const oldRoot = (spec.root ?? {}) as Record<string, unknown>;
        mounted = c.rootfs.mounts.length > 0;
        const rootPath = mounted ? await mountRootfs(opts.bundle, c.rootfs.mounts) : c.rootfs.path;
        spec.root = { ...oldRoot, path: rootPath };
        // each namespace's containers in a cgroup of their own (ids repeat across namespaces), as containerd does
        const linux = (spec.linux ??= {}) as Record<string, unknown>;
        linux.cgroupsPath ??= `/tsrund/${ns}/${id}`;
        await fs.writeFile(path.join(opts.bundle, 'config.json'), JSON.stringify(spec));
        await checkBundle(opts.bundle, spec);
        started = true;
        const address = await this.d.launcher.start(opts);
        const shim = await this.d.launcher.connect(address);
        const rec: TaskRecord = { namespace: ns, id, bundle: opts.bundle, address, pid: 0, stdio, lastSeq: 0, mounted };
        task = new Task(rec, shim, this.d.exchange);
        task.pump();
        const created = await shim.create({ id, bundle: opts.bundle, stdio });
        rec.pid = created.pid;
        await task.save();
        this.tasks.set(task.key, task);
        return task;
      } catch (err) {
        await this.discard(opts, task, mounted, started).catch(() => undefined);
        throw fromShim(err);
      }
    });
  }

  /** Removes a task that failed to be created or whose shim is gone: shim, runtime state, mounts, bundle. */
  async discard(opts: ShimOptions, task: Task | undefined, mounted: boolean, started = true): Promise<ExitInfo | undefined> {
    if (task) {
      await task.shim.shutdown(opts.id, true).catch(() => undefined);
      await task.drain(1000);
    }
    const exit = started ? await this.d.launcher.cleanup(opts).catch(() => undefined) : undefined;
    if (mounted) await unmountRootfs(opts.bundle);
    await fs.rm(opts.bundle, { recursive: true, force: true });
    return exit;
  }

  async start(ns: string, id: string, execId: string): Promise<number> {
    const t = this.need(ns, id);
    try {
      return (await t.shim.start({ id, execId: checkExecId(execId) })).pid;
    } catch (err) {
      throw fromShim(err);
    }
  }

  private view(t: Task, st: ShimState): ProcessView {
    return { containerId: t.rec.id, execId: st.execId, pid: st.pid, status: st.status, stdio: st.stdio, exitStatus: st.exitStatus, exitedAt: st.exitedAt };
  }

  /** From the record alone, when the shim cannot answer. */
  private recordView(t: Task): ProcessView {
    const exit = t.rec.exit;
    return {
      containerId: t.rec.id,
      execId: '',
      pid: t.rec.pid,
      status: exit ? Status.STOPPED : Status.UNKNOWN,
      stdio: t.rec.stdio,
      exitStatus: exit?.status ?? 0,
      exitedAt: exit?.exitedAt ?? 0,
    };
  }

  async get(ns: string, id: string, execId: string): Promise<ProcessView> {
    const t = this.need(ns, id);
    try {
      return this.view(t, await t.shim.state({ id, execId: checkExecId(execId) }));
    } catch (err) {
      const e = fromShim(err);
      if (execId === '' && e instanceof SupervisorError && e.code === 'unavailable') return this.recordView(t);
      throw e;
    }
  }

  async list(ns: string): Promise<ProcessView[]> {
    const mine = [...this.tasks.values()].filter((t) => t.rec.namespace === ns).sort((a, b) => (a.rec.id < b.rec.id ? -1 : 1));
    return Promise.all(mine.map((t) => t.shim.state({ id: t.rec.id, execId: '' }).then((st) => this.view(t, st), () => this.recordView(t))));
  }

  async wait(ns: string, id: string, execId: string): Promise<ExitInfo> {
    const t = this.need(ns, id);
    try {
      return await t.shim.wait({ id, execId: checkExecId(execId) });
    } catch (err) {
      const e = fromShim(err);
      if (execId === '' && t.rec.exit && e instanceof SupervisorError && e.code === 'unavailable') {
        return { pid: t.rec.pid, exitStatus: t.rec.exit.status, exitedAt: t.rec.exit.exitedAt };
      }
      throw e;
    }
  }

  async delete(ns: string, id: string): Promise<ExitInfo> {
    checkId('container id', id);
    return this.d.lock.run(`${ns}/${id}`, async () => {
      const t = this.need(ns, id);
      const opts = this.shimOptions(this.d.container(ns, id), ns);
      let exit: ExitInfo;
      let st: ShimState | undefined;
      try {
        st = await t.shim.state({ id, execId: '' });
      } catch (err) {
        const e = fromShim(err);
        if (!(e instanceof SupervisorError && e.code === 'unavailable')) throw e;
      }
      if (st && (st.status === Status.RUNNING || st.status === Status.PAUSED || st.status === Status.PAUSING)) {
        throw precondition(`task ${id} is ${st.status === Status.RUNNING ? 'running' : 'paused'}: kill it before deleting it`);
      }
      if (st) {
        try {
          exit = await t.shim.delete({ id, execId: '' });
        } catch (err) {
          throw fromShim(err);
        }
        const shimPid = await readPid(path.join(t.rec.bundle, 'shim.pid'));
        await t.shim.shutdown(id, false).catch(() => undefined);
        const reported = await t.drain(DRAIN_MS);
        // answered only once the shim has exited, so that a deleted task leaves no process behind
        if (shimPid) await exited(shimPid, DRAIN_MS);
        if (!reported) this.d.exchange.publish({ namespace: ns, topic: '/tasks/delete', containerId: id, pid: exit.pid, exitStatus: exit.exitStatus, exitedAt: exit.exitedAt });
        // the shim removed the container (tsrun delete) and has ended: only its files are left
        await fs.rm(opts.stateDir, { recursive: true, force: true });
        if (t.rec.mounted) await unmountRootfs(t.rec.bundle);
        await removeTask(t.rec).catch(() => undefined);
        await fs.rm(t.rec.bundle, { recursive: true, force: true });
      } else {
        await t.drain(0);
        exit = await this.reapGone(t.rec, opts);
      }
      this.tasks.delete(t.key);
      this.pruneCgroups(ns);
      return exit;
    });
  }

  /** A task whose shim is gone: `tsrun-shim delete` cleans up; the exit (if never reported) and the deletion are
   * published. */
  async reapGone(rec: TaskRecord, opts: ShimOptions): Promise<ExitInfo> {
    const got = await this.discard(opts, undefined, rec.mounted);
    const exit: ExitInfo = rec.exit
      ? { pid: rec.pid, exitStatus: rec.exit.status, exitedAt: rec.exit.exitedAt }
      : { pid: rec.pid, exitStatus: got?.exitStatus ?? 137, exitedAt: got?.exitedAt || Date.now() * 1e6 };
    const ev = { namespace: rec.namespace, containerId: rec.id, pid: exit.pid, exitStatus: exit.exitStatus, exitedAt: exit.exitedAt };
    if (!rec.exit) this.d.exchange.publish({ ...ev, topic: '/tasks/exit' });
    this.d.exchange.publish({ ...ev, topic: '/tasks/delete' });
    return exit;
  }

  /** Checks an exec's process spec (a JSON object) and its id before the shim sees them. */
  execInput(execId: string, spec: string): Buffer {
    if (!execId) throw invalid('exec id is required');
    checkExecId(execId);
    parseSpec(spec, `exec ${execId}`);
    return Buffer.from(spec);
  }
}

export type { ShimStdio };
