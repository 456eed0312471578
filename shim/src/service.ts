// The RPC handlers: decode-level checks, then the Task. Errors are ShimErrors with gRPC codes (rpc/codes.ts).
import type * as api from './api.js';
import { OutputStream, Status } from './api.js';
import type { Journal } from './journal.js';
import { invalid, precondition } from './rpc/codes.js';
import type { Handlers } from './rpc/server.js';
import type { Runtime } from './runtime.js';
import { type Task, fullStdio } from './task.js';

export interface ServiceContext {
  task: Task;
  journal: Journal;
  runtime: Runtime;
  namespace: string;
  version: string;
  /** Called after Shutdown has been answered. */
  shutdown(): void;
  /** Resolves when the shim is about to exit: open streams end with a final Response. */
  ending: Promise<void>;
}

const empty = {};

export function handlers(c: ServiceContext): Handlers {
  const { task } = c;
  const id = task.o.id;
  const mine = (r: { id?: string }) => {
    if (r.id && r.id !== id) throw invalid(`this shim serves container "${id}", not "${r.id}"`);
  };
  return {
    Connect: () => ({ shimPid: process.pid, taskPid: task.procs.init?.pid ?? 0, version: c.version, id, namespace: c.namespace }),
    Create: async (r: api.CreateRequest) => {
      if (!r.id) throw invalid('Create: id is required');
      mine(r);
      return { pid: await task.create(r.bundle || task.o.bundle, fullStdio(r.stdio)) };
    },
    Start: async (r: api.ProcessRequest) => (mine(r), { pid: await task.start(r.execId ?? '') }),
    State: (r: api.ProcessRequest) => {
      mine(r);
      const p = task.procs.get(r.execId);
      return {
        id,
        execId: p.execId,
        bundle: task.o.bundle,
        pid: p.pid,
        status: p.status,
        stdio: p.stdio,
        exitStatus: p.exit?.status ?? 0,
        exitedAt: p.exit?.at ?? 0n,
        oomKilled: p.execId ? false : task.oomKilled,
        logPath: p.logPath,
      };
    },
    Exec: async (r: api.ExecRequest) => {
      mine(r);
      await task.addExec(r.execId, fullStdio(r.stdio), Buffer.from(r.spec));
      return empty;
    },
    Kill: async (r: api.KillRequest) => (mine(r), await task.kill(r.execId ?? '', r.signal, r.all ?? false), empty),
    Pause: async (r: { id: string }) => (mine(r), await task.pause(), empty),
    Resume: async (r: { id: string }) => (mine(r), await task.resume(), empty),
    Pids: async (r: { id: string }) => {
      mine(r);
      task.procs.get('');
      const pids = JSON.parse((await c.runtime.run(['ps', '--format', 'json', id])) || '[]') as number[];
      return { processes: pids.map((pid) => ({ pid, execId: task.procs.pidOwner(pid)?.execId ?? '' })) };
    },
    Stats: async (r: { id: string }) => {
      mine(r);
      task.procs.get('');
      return { json: Buffer.from(await c.runtime.run(['events', '--stats', id])) };
    },
    Update: async (r: api.UpdateRequest) => {
      mine(r);
      task.procs.get('');
      try {
        JSON.parse(Buffer.from(r.resources).toString());
      } catch (e) {
        throw invalid(`Update: resources: not JSON: ${(e as Error).message}`);
      }
      await c.runtime.run(['update', '--resources', '-', id], { input: Buffer.from(r.resources) });
      return empty;
    },
    ResizePty: (r: api.ResizePtyRequest) => (mine(r), task.procs.get(r.execId).io?.resize(r.width, r.height), empty),
    CloseIO: (r: api.CloseIORequest) => {
      mine(r);
      if (r.stdin) task.procs.get(r.execId).io?.closeStdin();
      return empty;
    },
    WriteStdin: (r: api.WriteStdinRequest) => {
      mine(r);
      const io = task.procs.get(r.execId).io;
      if (r.data.length) io?.writeStdin(Buffer.from(r.data));
      if (r.close) io?.closeStdin();
      return empty;
    },
    Wait: async (r: api.ProcessRequest) => {
      mine(r);
      const e = await task.procs.get(r.execId).exited;
      return { exitStatus: e.status, exitedAt: e.at };
    },
    Delete: async (r: api.ProcessRequest) => {
      mine(r);
      const d = await task.delete(r.execId ?? '');
      return { pid: d.pid, exitStatus: d.status, exitedAt: d.at };
    },
    Shutdown: (r: api.ShutdownRequest) => {
      mine(r);
      if (task.procs.init && !r.now) throw precondition(`container ${id} still exists: delete it first, or shut down with now`);
      setImmediate(() => c.shutdown());
      return empty;
    },
    Subscribe: {
      stream: async (r: { afterSeq: bigint }, send, closed) => {
        const stop = c.journal.follow(r.afterSeq, (e) => send(e));
        await Promise.race([closed, c.ending]);
        stop();
      },
    },
    Attach: {
      stream: async (r: api.ProcessRequest, send, closed) => {
        mine(r);
        const p = task.procs.get(r.execId);
        if (!p.io || p.status === Status.STOPPED) return;
        const stop = p.io.attach((stream, data) => send({ stream: stream === 'stdout' ? OutputStream.STDOUT : OutputStream.STDERR, data }));
        await Promise.race([closed, p.exited, c.ending]);
        stop();
      },
    },
  };
}
