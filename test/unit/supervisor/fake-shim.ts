// A fake tsrun-shim for the supervisor's unit tests: processes are state machines in memory, events are kept in a
// journal with seqs (replayed by subscribe(afterSeq)), and a shim can be made to vanish. One FakeLauncher outlives
// a daemon, so a second daemon started with it finds the shims of the first, as after a restart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status, type ExitInfo, type Proc, type ShimApi, type ShimEvent, type ShimLauncher, type ShimOptions, type ShimState, type ShimStdio, type StatusCode } from '../../../supervisor/src/runtime/shim-api.js';

class ShimErr extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface FakeProc {
  pid: number;
  status: StatusCode;
  stdio: ShimStdio;
  exit?: ExitInfo;
  waiters: ((e: ExitInfo) => void)[];
}

let nextPid = 1000;

export class FakeShim {
  journal: ShimEvent[] = [];
  procs = new Map<string, FakeProc>();
  listeners = new Set<{ push(ev: ShimEvent | null): void }>();
  gone = false;
  constructor(readonly opts: ShimOptions) {}

  emit(topic: string, execId: string, p: Partial<ExitInfo> = {}): void {
    const ev: ShimEvent = { seq: this.journal.length + 1, timestamp: Date.now() * 1e6, topic, namespace: this.opts.namespace, containerId: this.opts.id, execId, pid: p.pid ?? 0, exitStatus: p.exitStatus ?? 0, exitedAt: p.exitedAt ?? 0 };
    this.journal.push(ev);
    for (const l of this.listeners) l.push(ev);
  }

  proc(execId: string): FakeProc {
    const p = this.procs.get(execId);
    if (!p) throw new ShimErr(5, `process ${execId || 'init'} not found`);
    return p;
  }

  /** The process exits with this status (as if it ended by itself or by a signal). */
  exit(execId: string, status: number): void {
    const p = this.proc(execId);
    if (p.status === Status.STOPPED) return;
    p.status = Status.STOPPED;
    p.exit = { pid: p.pid, exitStatus: status, exitedAt: Date.now() * 1e6 };
    this.emit('/tasks/exit', execId, p.exit);
    for (const w of p.waiters.splice(0)) w(p.exit);
  }

  /** The shim process disappears. */
  vanish(): void {
    this.gone = true;
    for (const l of this.listeners) l.push(null);
  }

  end(): void {
    for (const l of this.listeners) l.push(null);
  }
}

function client(shim: FakeShim): ShimApi {
  const live = (): FakeShim => {
    if (shim.gone) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return shim;
  };
  const state = (p: FakeProc, r: Proc): ShimState => ({ id: r.id, execId: r.execId, pid: p.pid, status: p.status, stdio: p.stdio, exitStatus: p.exit?.exitStatus ?? 0, exitedAt: p.exit?.exitedAt ?? 0 });
  let closed = false;
  const closers = new Set<() => void>();
  return {
    async connect() {
      return { shimPid: 1, taskPid: live().procs.get('')?.pid ?? 0, version: 'fake' };
    },
    async create(req) {
      const spec = JSON.parse(fs.readFileSync(path.join(req.bundle, 'config.json'), 'utf8'));
      if (spec.process?.args?.[0] === 'fail-in-shim') throw new ShimErr(2, 'tsrun create: fail-in-shim: EPERM');
      if (!spec.process) throw new ShimErr(3, 'config.json: process: required to create a container');
      if (!fs.existsSync(spec.root.path.startsWith('/') ? spec.root.path : path.join(req.bundle, spec.root.path))) throw new ShimErr(3, 'config.json: root.path: no such directory');
      const p: FakeProc = { pid: nextPid++, status: Status.CREATED, stdio: req.stdio, waiters: [] };
      live().procs.set('', p);
      shim.emit('/tasks/create', '', { pid: p.pid });
      return { pid: p.pid };
    },
    async start(r) {
      const p = live().proc(r.execId);
      if (p.status !== Status.CREATED) throw new ShimErr(9, `cannot start ${r.execId || 'container ' + r.id}: it is not created`);
      p.status = Status.RUNNING;
      shim.emit(r.execId ? '/tasks/exec-started' : '/tasks/start', r.execId, { pid: p.pid });
      return { pid: p.pid };
    },
    async state(r) {
      return state(live().proc(r.execId), r);
    },
    async exec(r) {
      if (live().procs.has(r.execId)) throw new ShimErr(6, `exec ${r.execId} already exists`);
      shim.procs.set(r.execId, { pid: nextPid++, status: Status.CREATED, stdio: r.stdio, waiters: [] });
      shim.emit('/tasks/exec-added', r.execId);
    },
    async kill(r) {
      const p = live().proc(r.execId);
      if (p.status === Status.STOPPED) throw new ShimErr(9, 'container not running');
      shim.exit(r.execId, 128 + r.signal);
    },
    async pause() {
      live().proc('').status = Status.PAUSED;
      shim.emit('/tasks/paused', '');
    },
    async resume() {
      live().proc('').status = Status.RUNNING;
      shim.emit('/tasks/resumed', '');
    },
    async pids() {
      return [...live().procs.entries()].filter(([, p]) => p.status !== Status.STOPPED).map(([execId, p]) => ({ pid: p.pid, execId }));
    },
    async stats() {
      live();
      return Buffer.from(JSON.stringify({ pids: { current: 1 } }));
    },
    async update() {
      live();
    },
    async resizePty() {
      live();
    },
    async closeIO() {
      live();
    },
    async wait(r) {
      const p = live().proc(r.execId);
      return p.exit ?? new Promise((resolve) => p.waiters.push(resolve));
    },
    async delete(r) {
      const p = live().proc(r.execId);
      if (p.status !== Status.STOPPED && p.status !== Status.CREATED) throw new ShimErr(9, `process ${r.execId || 'init'} is running`);
      shim.procs.delete(r.execId);
      const exit = p.exit ?? { pid: p.pid, exitStatus: 137, exitedAt: Date.now() * 1e6 };
      // as containerd's shims: a deletion event for the init process only
      if (!r.execId) shim.emit('/tasks/delete', '', exit);
      return exit;
    },
    async shutdown() {
      live().end();
    },
    subscribe(afterSeq) {
      const queue: (ShimEvent | null)[] = live().journal.filter((e) => e.seq > afterSeq);
      let wake: (() => void) | undefined;
      const listener = {
        push(ev: ShimEvent | null) {
          queue.push(ev);
          wake?.();
        },
      };
      shim.listeners.add(listener);
      const close = () => listener.push(null);
      closers.add(close);
      if (closed) close();
      return {
        async *[Symbol.asyncIterator]() {
          try {
            for (;;) {
              while (queue.length === 0) await new Promise<void>((r) => (wake = r));
              const ev = queue.shift();
              if (!ev) return;
              yield ev;
            }
          } finally {
            shim.listeners.delete(listener);
          }
        },
      };
    },
    close() {
      closed = true;
      for (const c of closers) c();
    },
  };
}

export class FakeLauncher implements ShimLauncher {
  shims = new Map<string, FakeShim>();
  cleanups: ShimOptions[] = [];

  async start(opts: ShimOptions): Promise<string> {
    const address = path.join(opts.bundle, 'shim.sock');
    this.shims.set(address, new FakeShim(opts));
    fs.writeFileSync(path.join(opts.bundle, 'shim.address'), address);
    return address;
  }

  async connect(address: string): Promise<ShimApi> {
    const shim = this.shims.get(address);
    if (!shim || shim.gone) throw Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    return client(shim);
  }

  async cleanup(opts: ShimOptions): Promise<ExitInfo | undefined> {
    this.cleanups.push(opts);
    return { pid: 0, exitStatus: 137, exitedAt: Date.now() * 1e6 };
  }

  shim(id: string): FakeShim {
    const s = [...this.shims.values()].reverse().find((x) => x.opts.id === id);
    if (!s) throw new Error(`no fake shim for ${id}`);
    return s;
  }
}
