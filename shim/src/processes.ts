// The container's processes as the shim tracks them (the init, exec id '', and the execs), and the rules that keep
// exits from being lost or reported out of order:
// - an exit of a pid not registered yet (it died before `tsrun create`/`exec` returned and its pid file was read)
//   is kept until the pid is registered;
// - an exit that arrives while the process's start is being reported waits until the start event is recorded.
import type { StatusValue, Stdio } from './api.js';
import { Status } from './api.js';
import type { ProcessIO } from './io/types.js';
import { notFound } from './rpc/codes.js';

export interface Exit {
  status: number;
  at: bigint;
}

export interface Proc {
  execId: string;
  pid: number;
  status: StatusValue;
  stdio: Stdio;
  logPath: string;
  io?: ProcessIO;
  exit?: Exit;
  /** Resolves once the exit is recorded in the journal. */
  exited: Promise<Exit>;
  settle(e: Exit): void;
  /** While set, an exit is parked in `pendingExit` (its start event is not recorded yet). */
  starting: boolean;
  pendingExit?: Exit;
}

export function newProc(execId: string, stdio: Stdio, logPath: string): Proc {
  let settle: (e: Exit) => void = () => {};
  const exited = new Promise<Exit>((r) => (settle = r));
  return { execId, pid: 0, status: Status.CREATED, stdio, logPath, exited, settle, starting: false };
}

const MAX_UNKNOWN = 1024;

export class Processes {
  init: Proc | undefined;
  readonly execs = new Map<string, Proc>();
  private readonly byPid = new Map<number, Proc>();
  /** Exits of pids nobody had registered (yet): racing starts, or orphans reparented to the shim. */
  private readonly unknown = new Map<number, Exit>();

  get(execId: string | undefined): Proc {
    const p = execId ? this.execs.get(execId) : this.init;
    if (!p) throw notFound(execId ? `exec "${execId}" not found` : 'container not created');
    return p;
  }

  pidOwner(pid: number): Proc | undefined {
    return this.byPid.get(pid);
  }

  /** Registers the pid; returns an exit that was seen before registration. */
  register(p: Proc, pid: number): Exit | undefined {
    p.pid = pid;
    const early = this.unknown.get(pid);
    if (early) {
      this.unknown.delete(pid);
      return early;
    }
    this.byPid.set(pid, p);
    return undefined;
  }

  /** The process that owns the exited pid, or undefined (the exit is kept for a later register). */
  claim(pid: number, exit: Exit): Proc | undefined {
    const p = this.byPid.get(pid);
    if (p) {
      this.byPid.delete(pid);
      return p;
    }
    this.unknown.set(pid, exit);
    if (this.unknown.size > MAX_UNKNOWN) this.unknown.delete(this.unknown.keys().next().value as number);
    return undefined;
  }

  all(): Proc[] {
    return [...(this.init ? [this.init] : []), ...this.execs.values()];
  }
}
