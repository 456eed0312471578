// tsrund.v1.Tasks over the TaskService; the plain per-process operations go straight to the task's shim.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { fromShim, invalid } from '../errors.js';
import { checkExecId } from '../ids.js';
import type { ShimApi } from '../runtime/shim-api.js';
import type { StdioRecord } from '../store/tasks.js';
import type { TaskService } from '../services/tasks.js';
import { nowNs } from '../events/exchange.js';
import { unary, type Req } from './handlers.js';

function stdio(s: Req | undefined): StdioRecord {
  return { stdin: String(s?.stdin ?? ''), stdout: String(s?.stdout ?? ''), stderr: String(s?.stderr ?? ''), terminal: !!s?.terminal };
}

function json(text: string, what: string): Buffer {
  try {
    JSON.parse(text);
  } catch (err) {
    throw invalid(`${what} is not JSON: ${(err as Error).message}`);
  }
  return Buffer.from(text);
}

export function tasksApi(svc: TaskService): UntypedServiceImplementation {
  /** Runs one shim call for the container's task, with the shim's error codes and messages. */
  const shim = async <T>(ns: string, id: string, fn: (s: ShimApi) => Promise<T>): Promise<T> => {
    const t = svc.need(ns, id);
    try {
      return await fn(t.shim);
    } catch (err) {
      throw fromShim(err);
    }
  };
  const done = {};
  return {
    Create: unary(async (req, ns) => {
      const t = await svc.create(ns, req.containerId, stdio(req.stdio));
      return { containerId: t.rec.id, pid: t.rec.pid };
    }),
    Start: unary(async (req, ns) => ({ pid: await svc.start(ns, req.containerId, req.execId) })),
    Get: unary(async (req, ns) => ({ process: await svc.get(ns, req.containerId, req.execId) })),
    List: unary(async (_req, ns) => ({ tasks: await svc.list(ns) })),
    Kill: unary(async (req, ns) => {
      if (req.signal < 1 || req.signal > 64) throw invalid(`signal ${req.signal} is not a signal number (1-64)`);
      await shim(ns, req.containerId, (s) => s.kill({ id: req.containerId, execId: checkExecId(req.execId), signal: req.signal, all: req.all }));
      return done;
    }),
    Exec: unary(async (req, ns) => {
      const spec = svc.execInput(req.execId, req.spec);
      await shim(ns, req.containerId, (s) => s.exec({ id: req.containerId, execId: req.execId, stdio: stdio(req.stdio), spec }));
      return done;
    }),
    ResizePty: unary(async (req, ns) => {
      if (!req.width || !req.height) throw invalid(`terminal size ${req.width}x${req.height}: width and height must be positive`);
      await shim(ns, req.containerId, (s) => s.resizePty({ id: req.containerId, execId: checkExecId(req.execId), width: req.width, height: req.height }));
      return done;
    }),
    CloseIO: unary(async (req, ns) => {
      await shim(ns, req.containerId, (s) => s.closeIO({ id: req.containerId, execId: checkExecId(req.execId), stdin: req.stdin }));
      return done;
    }),
    Pause: unary(async (req, ns) => {
      await shim(ns, req.containerId, (s) => s.pause(req.containerId));
      return done;
    }),
    Resume: unary(async (req, ns) => {
      await shim(ns, req.containerId, (s) => s.resume(req.containerId));
      return done;
    }),
    ListPids: unary(async (req, ns) => ({ processes: await shim(ns, req.containerId, (s) => s.pids(req.containerId)) })),
    Update: unary(async (req, ns) => {
      const resources = json(req.resources, 'resources');
      await shim(ns, req.containerId, (s) => s.update(req.containerId, resources));
      return done;
    }),
    Metrics: unary(async (req, ns) => {
      const stats = await shim(ns, req.containerId, (s) => s.stats(req.containerId));
      return { containerId: req.containerId, timestamp: nowNs(), stats: stats.toString() };
    }),
    Wait: unary(async (req, ns) => {
      const exit = await svc.wait(ns, req.containerId, req.execId);
      return { exitStatus: exit.exitStatus, exitedAt: exit.exitedAt };
    }),
    DeleteProcess: unary(async (req, ns) => {
      if (!req.execId) throw invalid('exec id is required (Delete removes the init process)');
      const exit = await shim(ns, req.containerId, (s) => s.delete({ id: req.containerId, execId: checkExecId(req.execId) }));
      return { containerId: req.containerId, execId: req.execId, ...exit };
    }),
    Delete: unary(async (req, ns) => ({ containerId: req.containerId, ...(await svc.delete(ns, req.containerId)) })),
  };
}
