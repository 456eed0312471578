// The container and its execs: each operation runs the runtime, then records its event. Exits come from the
// reaper through onExit and are recorded (fsynced) before anyone is told: Wait resolves, subscribers hear.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stdio } from './api.js';
import { Status, Topic } from './api.js';
import { logFiles } from './io/index.js';
import type { OpenProcessIO } from './io/types.js';
import type { Journal } from './journal.js';
import { type MemoryCgroup, memoryCgroup, oomKills, watchOom } from './oom.js';
import { type Exit, type Proc, Processes, newProc } from './processes.js';
import { exists, invalid, precondition } from './rpc/codes.js';
import type { Runtime } from './runtime.js';
import type { Sys } from './sys.js';

export interface TaskOptions {
  id: string;
  bundle: string;
  stateDir: string;
  logMaxSize: number;
}

/** How long an exit waits for the process's output to drain before it is recorded anyway. */
const DRAIN_MS = 5000;
/** The runtime is told to arm PR_SET_PDEATHSIG in the container's processes: a shim killed -9 takes them along. */
const RUNTIME_ENV = { ...process.env, TSRUN_KILL_WITH_PARENT: '1' };

export function fullStdio(s: Partial<Stdio> | undefined): Stdio {
  return { stdin: s?.stdin ?? '', stdout: s?.stdout ?? '', stderr: s?.stderr ?? '', terminal: s?.terminal ?? false, openStdin: s?.openStdin ?? false };
}

const EXEC_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class Task {
  readonly procs = new Processes();
  deleted = false;
  private deleting = false;
  oomKilled = false;
  private stopOom: (() => void) | undefined;
  private memory: MemoryCgroup | undefined;
  /** Without a pid namespace of its own, the container's other processes outlive its init unless killed. */
  private sharedPidNs = false;
  private oomsPublished = 0;

  constructor(
    readonly o: TaskOptions,
    private readonly runtime: Runtime,
    private readonly journal: Journal,
    private readonly openIO: OpenProcessIO,
    private readonly sys: Sys,
    private readonly log: (line: string) => void,
  ) {}

  private file(name: string): string {
    return path.join(this.o.stateDir, name);
  }

  private async io(p: Proc): Promise<NonNullable<Proc['io']>> {
    p.io ??= await this.openIO({ ...p.stdio }, { path: p.logPath, maxSize: this.o.logMaxSize, maxFiles: 1 });
    return p.io;
  }

  async create(bundle: string, stdio: Stdio): Promise<number> {
    if (this.procs.init || this.deleted) throw exists(`container ${this.o.id} already created`);
    const p = newProc('', stdio, this.file(`${this.o.id}.log`));
    this.procs.init = p;
    const pidFile = this.file('init.pid');
    let created = false;
    try {
      const io = await this.io(p);
      const rs = io.runtimeStdio();
      const console = rs.consoleSocket ? ['--console-socket', rs.consoleSocket] : [];
      await this.runtime.run(['create', '--bundle', bundle, '--pid-file', pidFile, ...console, this.o.id], { stdio: rs.stdio, env: RUNTIME_ENV });
      created = true;
      await io.started();
    } catch (e) {
      // A container whose stdio could not be set up is not kept: nobody could see its output.
      if (created) await this.runtime.run(['delete', '--force', this.o.id]).catch((de: Error) => this.log(de.message));
      this.procs.init = undefined;
      p.io?.close();
      throw e;
    }
    this.sharedPidNs = !hasPidNs(bundle);
    const early = this.procs.register(p, readPid(pidFile));
    this.journal.record({ topic: Topic.create, pid: p.pid });
    this.watchOom(p.pid);
    if (early) {
      this.log(`init ${p.pid} exited before its pid file was read`);
      void this.exited(p, early);
    }
    return p.pid;
  }

  private watchOom(pid: number): void {
    try {
      this.memory = memoryCgroup(pid);
      if (this.memory) this.stopOom = watchOom(this.memory, this.sys, () => this.checkOom(true), this.log);
    } catch (e) {
      this.log(`no OOM notification for ${this.memory?.dir ?? `pid ${pid}`}: ${(e as Error).message}`);
    }
  }

  /**
   * Publishes /tasks/oom once per new OOM kill the cgroup counts. Called by the watch (`notified`: publish even
   * where the kernel keeps no count) and before the init's exit is recorded, so that the OOM event comes first
   * even when the exit is reaped before the notification is read.
   */
  private checkOom(notified: boolean): void {
    if (!this.memory) return;
    const n = oomKills(this.memory);
    if (n === undefined || n === 0 ? !notified : n <= this.oomsPublished) return;
    this.oomsPublished = n || this.oomsPublished + 1;
    this.oomKilled = true;
    this.journal.record({ topic: Topic.oom });
  }

  async addExec(execId: string, stdio: Stdio, spec: Buffer): Promise<void> {
    if (!EXEC_ID.test(execId)) throw invalid(`exec id "${execId}": letters, digits, '_', '.', '-' (at most 128), not starting with a symbol`);
    const init = this.procs.get('');
    if (this.procs.execs.has(execId)) throw exists(`exec "${execId}" already exists`);
    if (init.status !== Status.RUNNING && init.status !== Status.CREATED) throw precondition(`cannot exec in container ${this.o.id}: it is ${statusName(init.status)}`);
    try {
      const proc = JSON.parse(spec.toString()) as { args?: unknown };
      if (!proc || typeof proc !== 'object' || !Array.isArray(proc.args) || proc.args.length === 0) throw new Error('process.args: must list the program to run');
    } catch (e) {
      throw invalid(`exec "${execId}": spec: ${(e as Error).message}`);
    }
    fs.writeFileSync(this.file(`exec-${execId}.json`), spec, { mode: 0o600 });
    const p = newProc(execId, stdio, this.file(`exec-${execId}.log`));
    this.procs.execs.set(execId, p);
    try {
      await this.io(p);
    } catch (e) {
      this.procs.execs.delete(execId);
      fs.rmSync(this.file(`exec-${execId}.json`), { force: true });
      throw e;
    }
    this.journal.record({ topic: Topic.execAdded, execId });
  }

  async start(execId: string): Promise<number> {
    const p = this.procs.get(execId);
    if (p.status !== Status.CREATED || p.starting) throw precondition(`${execId ? `exec "${execId}"` : `container ${this.o.id}`} is already ${p.starting ? 'starting' : statusName(p.status)}`);
    p.starting = true;
    try {
      if (execId) await this.runExec(p);
      else await this.runtime.start(this.o.id);
    } catch (e) {
      p.starting = false;
      if (p.pendingExit) void this.exited(p, p.pendingExit);
      else if (execId) p.status = Status.STOPPED;
      throw e;
    }
    if (p.status === Status.CREATED) p.status = Status.RUNNING;
    this.journal.record(execId ? { topic: Topic.execStarted, execId, pid: p.pid } : { topic: Topic.start, pid: p.pid });
    p.starting = false;
    if (p.pendingExit) void this.exited(p, p.pendingExit);
    return p.pid;
  }

  private async runExec(p: Proc): Promise<void> {
    const io = await this.io(p);
    const rs = io.runtimeStdio();
    const pidFile = this.file(`exec-${p.execId}.pid`);
    const console = rs.consoleSocket ? ['--console-socket', rs.consoleSocket] : [];
    try {
      await this.runtime.run(['exec', '--process', this.file(`exec-${p.execId}.json`), '--pid-file', pidFile, '--detach', ...console, this.o.id], { stdio: rs.stdio, env: RUNTIME_ENV });
      const early = this.procs.register(p, readPid(pidFile));
      if (early) {
        this.log(`exec ${p.execId} (pid ${p.pid}) exited before its pid file was read`);
        p.pendingExit = early;
      }
      try {
        await io.started();
      } catch (e) {
        // Its stdio could not be set up: the process is not kept (its exit is then recorded as any other).
        if (!early) process.kill(p.pid, 'SIGKILL');
        throw e;
      }
    } finally {
      fs.rmSync(pidFile, { force: true });
    }
  }

  /** From the reaper: any child of the shim that exited. */
  onExit(pid: number, status: number, at: bigint): void {
    const p = this.procs.claim(pid, { status, at });
    if (!p) return;
    if (p.starting) p.pendingExit = { status, at };
    else void this.exited(p, { status, at });
  }

  private async exited(p: Proc, e: Exit): Promise<void> {
    p.pendingExit = undefined;
    if (p.exit) return;
    p.exit = e;
    p.status = Status.STOPPED;
    // As containerd's shim: when the init of a container in the host's pid namespace exits, the rest goes too.
    if (!p.execId && this.sharedPidNs) await this.runtime.run(['kill', '--all', this.o.id, '9']).catch((err: Error) => this.log(err.message));
    if (p.io) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([p.io.drained(), new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))]).catch((err: Error) => this.log(`drain of ${p.execId || 'init'}: ${err.message}`));
      clearTimeout(timer);
    }
    if (!p.execId) this.checkOom(false);
    this.journal.record({ topic: Topic.exit, execId: p.execId, pid: p.pid, exitStatus: e.status, exitedAt: e.at });
    p.settle(e);
  }

  async kill(execId: string, signal: number, all: boolean): Promise<void> {
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) throw invalid(`signal ${signal}: must be 1..64`);
    const p = this.procs.get(execId);
    if (p.exit && !(all && !execId)) throw precondition(`${execId ? `exec "${execId}"` : `container ${this.o.id}`}: process already finished`);
    if (execId) {
      if (p.status === Status.CREATED) throw precondition(`exec "${execId}" is not started`);
      process.kill(p.pid, signal);
      return;
    }
    await this.runtime.run(['kill', ...(all ? ['--all'] : []), this.o.id, String(signal)]);
  }

  async pause(): Promise<void> {
    const p = this.procs.get('');
    if (p.status !== Status.RUNNING) throw precondition(`cannot pause container ${this.o.id}: it is ${statusName(p.status)}`);
    await this.runtime.run(['pause', this.o.id]);
    p.status = Status.PAUSED;
    this.journal.record({ topic: Topic.paused });
  }

  async resume(): Promise<void> {
    const p = this.procs.get('');
    if (p.status !== Status.PAUSED) throw precondition(`cannot resume container ${this.o.id}: it is ${statusName(p.status)}`);
    await this.runtime.run(['resume', this.o.id]);
    if (!p.exit) p.status = Status.RUNNING;
    this.journal.record({ topic: Topic.resumed });
  }

  async delete(execId: string): Promise<Exit & { pid: number }> {
    const p = this.procs.get(execId);
    if (p.starting || this.deleting) throw precondition(`cannot delete ${execId ? `exec "${execId}"` : `container ${this.o.id}`}: it is ${p.starting ? 'starting' : 'being deleted'}`);
    if (execId) {
      if (p.status !== Status.STOPPED && p.status !== Status.CREATED) throw precondition(`cannot delete exec "${execId}": it is ${statusName(p.status)}`);
      this.procs.execs.delete(execId);
      p.io?.close();
      // An exec's files go with it: the state dir must not grow with the number of execs.
      for (const f of [this.file(`exec-${execId}.json`), ...logFiles(p.logPath)]) fs.rmSync(f, { force: true });
      return { pid: p.pid, ...(p.exit ?? { status: 0, at: 0n }) };
    }
    if (p.status === Status.RUNNING || p.status === Status.PAUSED) throw precondition(`cannot delete container ${this.o.id}: it is ${statusName(p.status)}`);
    const neverStarted = !p.exit;
    this.deleting = true;
    let e: Exit;
    try {
      await this.runtime.run(['delete', ...(neverStarted ? ['--force'] : []), this.o.id]);
      e = neverStarted ? await p.exited : (p.exit as Exit);
    } finally {
      this.deleting = false;
    }
    this.stopOom?.();
    for (const x of this.procs.all()) x.io?.close();
    this.procs.execs.clear();
    this.procs.init = undefined;
    this.deleted = true;
    this.journal.record({ topic: Topic.delete, pid: p.pid, exitStatus: e.status, exitedAt: e.at });
    return { pid: p.pid, ...e };
  }
}

export function statusName(s: number): string {
  return (Object.entries(Status).find(([, v]) => v === s)?.[0] ?? 'unknown').toLowerCase();
}

function hasPidNs(bundle: string): boolean {
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { linux?: { namespaces?: { type?: string }[] } };
    return (spec.linux?.namespaces ?? []).some((n) => n.type === 'pid');
  } catch {
    return true;
  }
}

function readPid(file: string): number {
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${file}: not a pid`);
  return pid;
}
