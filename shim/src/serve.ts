// The long-lived shim: a child subreaper serving the API for one container on <state-dir>/shim.sock. Run by
// `tsrun-shim start` in a new session (see start.ts), which it tells on fd 3 once the socket is served.
import * as fs from 'node:fs';
import { stderr } from '../../runtime/src/cli/output.js';
import { Journal } from './journal.js';
import type { OpenProcessIO } from './io/types.js';
import { type ShimOptions, files } from './options.js';
import { Reaper } from './reaper.js';
import { serve } from './rpc/server.js';
import { loadTransport } from './rpc/transport.js';
import { Runtime } from './runtime.js';
import { handlers } from './service.js';
import { loadSys } from './sys.js';
import { Task } from './task.js';

export const VERSION = '0.1.0';

/** A line of the shim's own log (its stderr is <state-dir>/shim.log): write(2), since on Bun the first use of
 * process.stderr costs ~8 ms of CPU and a stream's memory, in a process that runs once per container. */
export function log(line: string): void {
  stderr(`${new Date().toISOString()} ${line}\n`);
}

/** Writes a small file so that a reader never sees half of it. */
export function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** A socket file left by a shim that is gone is removed; a live one is an error (one shim per container). */
async function clearStaleSocket(sock: string): Promise<void> {
  if (!fs.existsSync(sock)) return;
  if (await (await loadTransport()).answers(sock)) throw new Error(`${sock}: a shim is already serving this container`);
  fs.rmSync(sock, { force: true });
}

/**
 * Bun collects garbage lazily: after a burst of calls (execs) an idle shim would keep tens of MB of dead objects
 * for a long while. Two seconds after the last call, Bun.shrink gives them back: a full collection, and JSC drops the
 * compiled code of every function (rebuilt from the bytecode at its next call) and returns free malloc memory. The
 * shim is idle most of its life, and one shim runs per container: after Create and Start that leaves ~0.17 MB less
 * than a full collection alone (8 shims, 4.91 -> 4.75 MB private dirty). Node has no such hook without --expose-gc;
 * its collector is less lazy. Not after start-up: a full collection there cost ~2-4 ms of CPU per shim and saved no
 * memory.
 */
function collectWhenIdle(): () => void {
  const bun = (globalThis as { Bun?: { gc(full: boolean): void; shrink?(): void } }).Bun;
  let timer: NodeJS.Timeout | undefined;
  return () => {
    if (!bun) return;
    clearTimeout(timer);
    timer = setTimeout(() => (bun.shrink ? bun.shrink() : bun.gc(true)), 2000);
    timer.unref();
  };
}

export async function runShim(o: ShimOptions, openIO: OpenProcessIO, ready: (address: string) => void): Promise<void> {
  const f = files(o);
  if (Buffer.byteLength(f.socket) > 107) throw new Error(`${f.socket}: too long for a unix socket address (107 bytes at most): use a shorter --state-dir`);
  fs.mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const sys = await loadSys();
  sys.setChildSubreaper();
  const journal = new Journal(f.journal, { namespace: o.namespace, containerId: o.id });
  let task: Task | undefined;
  const reaper = new Reaper(sys, (pid, status, at) => task?.onExit(pid, status, at), log);
  const runtime = new Runtime(o.runtime, o.runtimeRoot, o.stateDir, reaper, log);
  task = new Task({ id: o.id, bundle: o.bundle, stateDir: o.stateDir, logMaxSize: o.logMaxSize }, runtime, journal, openIO, sys, log);
  await clearStaleSocket(f.socket);
  const t = task;
  let end: () => void = () => {};
  const ending = new Promise<void>((r) => (end = r));
  const collect = collectWhenIdle();
  const server = await serve(f.socket, handlers({ task: t, journal, runtime, namespace: o.namespace, version: VERSION, shutdown, ending }), { log, afterCall: collect });
  reaper.start();
  writeAtomic(f.pid, `${process.pid}`);
  writeAtomic(f.address, f.socket);
  // The shim outlives the terminal and the caller that started it: their signals are not for it.
  for (const s of ['SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(s, () => {});
  process.on('SIGTERM', () => shutdown());
  log(`serving ${o.id} (namespace ${o.namespace}) on ${f.socket}, pid ${process.pid}`);
  ready(f.socket);

  function shutdown(): void {
    log('shutting down');
    end();
    // A moment for the streams' final responses to be written.
    setTimeout(exit, 50);
  }

  function exit(): void {
    server.close();
    reaper.stop();
    journal.close();
    for (const file of [f.socket, f.address, f.pid]) fs.rmSync(file, { force: true });
    // Once the container is gone nothing in the state dir is needed; otherwise `tsrun-shim delete` reads it.
    if (t.deleted || !t.procs.init) fs.rmSync(o.stateDir, { recursive: true, force: true });
    process.exit(0);
  }
}

