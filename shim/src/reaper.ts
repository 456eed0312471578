// Reaps every child of the shim, container processes and orphans reparented to it (the shim is a child
// subreaper), except the ones Node or Bun spawned for it (the tsrun commands): their runtime waits for those by
// pid, and reaping one here would lose its exit. So no waitpid(-1): the children are listed from
// /proc/self/task/*/children (reparented orphans attach to one of the shim's threads) and each one that is not
// an own spawn is waited for with WNOHANG. Triggered by SIGCHLD, and a slow timer in case a signal is coalesced
// away while a scan runs.
import * as fs from 'node:fs';
import type { Sys } from './sys.js';

export type ExitListener = (pid: number, status: number, at: bigint) => void;

// Wall-clock nanoseconds from a monotonic clock anchored once at start.
const epoch = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return epoch + process.hrtime.bigint();
}

export function childrenOf(pid: number | 'self' = 'self'): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const w of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ')) if (w) out.push(Number(w));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export class Reaper {
  /** Pids of the shim's own child_process spawns: never reaped here. */
  readonly own = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onSignal = () => this.scan();

  constructor(
    private readonly sys: Sys,
    private readonly onExit: ExitListener,
    private readonly log: (line: string) => void,
  ) {}

  start(intervalMs = 2000): void {
    process.on('SIGCHLD', this.onSignal);
    this.timer = setInterval(this.onSignal, intervalMs);
    this.timer.unref();
    this.scan();
  }

  stop(): void {
    process.off('SIGCHLD', this.onSignal);
    clearInterval(this.timer);
  }

  scan(): void {
    for (const pid of childrenOf()) {
      if (this.own.has(pid)) continue;
      let status: number | undefined;
      try {
        status = this.sys.reap(pid);
      } catch (e) {
        this.log(`reaper: ${(e as Error).message}`);
      }
      if (status !== undefined) this.onExit(pid, status, nowNs());
    }
  }
}
