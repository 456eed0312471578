// Starts the native stage with a plan and drives the sync protocol drawn in runtime/native/tsrun-init.c:
//
//   tsrun                              native stage
//   spawnInit; join cgroups
//   ops..., ["end"]          ------>
//                            <------   ["pid", host pid of the container init]
//                            <------   ["sync", "hooks"]          (only when the config has such hooks)
//   ["ok", stateJson] | ["abort"] --->
//                            <------   ["seccomp"] + listener fd  (a filter with SCMP_ACT_NOTIFY: SCM_RIGHTS)
//   ["ok"] | ["abort"]       ------>   (after onSeccomp passed the fd to linux.seccomp.listenerPath)
//                            <------   ["ready"]
//   ["reparented"]           ------>   (only for a plan with parent_death: see withParentDeath)
//   any time:                <------   ["error", op index, errno, detail]
//
// The channel is a socketpair made here (an fd handed to spawn costs far less than a stream 'pipe' on Bun), and
// the loop is synchronous: hooks run synchronously anyway, and nothing else needs the event loop meanwhile.
// An unexpected message or an early close is an error, never a hang.
import * as fs from 'node:fs';
import { TsrunError } from '../errors.js';
import { lazyBuiltin } from '../lazy-builtin.js';
import { errnoName, strerror } from '../linux/errno.js';
import { libc } from '../linux/libc.js';
import { closeFd, recvWithFds } from '../linux/scm.js';
import { describeOp } from '../plan/describe.js';
import { type Plan, opWords } from '../plan/ops.js';
import { MessageReader, encodeWords } from '../plan/wire.js';

const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

// The path of a file: URL is the file's path once percent-decoded (what url.fileURLToPath does on Linux, without
// loading node:url, ~0.5 ms of every create on Bun).
export const NATIVE_INIT = decodeURIComponent(new URL('../../../native/tsrun-init', import.meta.url).pathname);

export interface InitHandlers {
  onPid(pid: number): void;
  /** Runs what the named sync point needs (hooks) and returns the state JSON for in-container hooks. */
  onSync(name: string, pid: number): string;
  /** Passes the seccomp listener fd of the process to the seccomp agent (linux.seccomp.listenerPath); only plans
   * with a listener need it. */
  onSeccomp?(fd: number, pid: number): void;
}

export class InitError extends TsrunError {
  constructor(
    message: string,
    readonly pid: number | undefined,
  ) {
    super('create_failed', message);
  }
}

export interface InitResult {
  pid: number;
}

/** The native stage, spawned and waiting for its plan (create puts it in the container's cgroups meanwhile). */
export interface NativeStage {
  pid: number;
  run(plan: Plan, h: InitHandlers): InitResult;
  /** Call once the stage has exited (waitGone): lets a parent_death op go on, and closes the channel. */
  release(): void;
  kill(): void;
}

/**
 * TSRUN_KILL_WITH_PARENT=1 (set by tsrun-shim): the process asks for SIGKILL when its parent dies, once it has
 * been reparented from the parent stage to the caller's subreaper, so that a shim killed with -9 takes its
 * container along. The op goes right after `ready`, after every credential change that would clear it.
 */
export function withParentDeath(plan: Plan, env: NodeJS.ProcessEnv = process.env): Plan {
  if (env.TSRUN_KILL_WITH_PARENT !== '1') return plan;
  const at = plan.ops.findIndex((o) => o.op === 'ready');
  if (at < 0) return plan;
  return { ...plan, ops: [...plan.ops.slice(0, at + 1), { op: 'parent_death' }, ...plan.ops.slice(at + 1)] };
}

const childProcess = lazyBuiltin<typeof import('node:child_process')>('node:child_process');

/** The part of Bun's own spawn used here (Bun's types are not in this project's @types). */
interface BunSpawn {
  spawn(cmd: string[], o: { stdio: ('inherit' | number)[]; env: Record<string, string> }): { pid: number; kill(signal?: number): void };
}

/**
 * Starts the native stage with no environment. On Bun through Bun.spawn: node:child_process there is a wrapper
 * around it whose loading and setup cost ~4 ms of every create. Undefined pid: it could not be started.
 */
function startStage(stdio: ('inherit' | number)[], syncFd: number): { pid: number | undefined; kill(): void } {
  const bun = (globalThis as { Bun?: BunSpawn }).Bun;
  if (bun) {
    try {
      const p = bun.spawn([NATIVE_INIT, String(syncFd)], { stdio, env: {} });
      return { pid: p.pid, kill: () => p.kill(9) };
    } catch {
      return { pid: undefined, kill: () => {} };
    }
  }
  const child = childProcess().spawn(NATIVE_INIT, [String(syncFd)], { stdio, env: {} });
  child.on('error', () => {});
  return { pid: child.pid, kill: () => child.kill('SIGKILL') };
}

export function spawnInit(extraFds: number): NativeStage {
  const syncFd = 3 + extraFds;
  const [ours, theirs] = libc.socketpair();
  const stdio: ('inherit' | number)[] = ['inherit', 'inherit', 'inherit'];
  for (let fd = 3; fd < syncFd; fd++) stdio.push(fd);
  stdio.push(theirs);
  let child;
  try {
    child = startStage(stdio, syncFd);
  } finally {
    fs.closeSync(theirs);
  }
  if (child.pid === undefined) {
    fs.closeSync(ours);
    throw new InitError(`cannot start ${NATIVE_INIT}`, undefined);
  }
  let open = true;
  let waitsForRelease = false;
  const close = () => {
    if (open) fs.closeSync(ours);
    open = false;
  };
  return {
    pid: child.pid,
    kill: () => {
      child.kill();
      close();
    },
    run: (plan, h) => {
      if (plan.extraFds !== extraFds) throw new InitError(`native stage spawned for ${extraFds} extra fds, plan has ${plan.extraFds}`, undefined);
      waitsForRelease = plan.ops.some((o) => o.op === 'parent_death');
      let ok = false;
      try {
        const r = drive(ours, plan, h);
        ok = true;
        return r;
      } finally {
        if (!ok || !waitsForRelease) close();
      }
    },
    release: () => {
      if (open && waitsForRelease) send(ours, encodeWords(['reparented']));
      close();
    },
  };
}

function send(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off);
}

function drive(fd: number, plan: Plan, h: InitHandlers): InitResult {
  let pid: number | undefined;
  const fail = (message: string): never => {
    throw new InitError(message, pid);
  };
  const frames = plan.ops.map((o) => encodeWords(opWords(o)));
  frames.push(encodeWords(['end']));
  try {
    send(fd, Buffer.concat(frames));
  } catch (e) {
    fail(`native stage: cannot send the plan: ${(e as Error).message}`);
  }
  const reader = new MessageReader();
  const buf = Buffer.alloc(64 * 1024);
  // fds that came over the socket (SCM_RIGHTS), in order, until the message that names them is read; only a plan
  // that loads a filter with a listener sends one, and only then does each read need recvmsg
  const fds: number[] = [];
  const carriesFds = plan.ops.some((o) => o.op === 'seccomp' && (o.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0);
  try {
    for (;;) {
      let n: number;
      try {
        if (carriesFds) {
          const got = recvWithFds(fd, buf);
          n = got.n;
          fds.push(...got.fds);
        } else n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        return fail(`native stage: ${(e as Error).message}`);
      }
      if (n === 0) return fail('container init exited before it was ready');
      let msgs: string[][];
      try {
        msgs = reader.push(Buffer.from(buf.subarray(0, n)));
      } catch (e) {
        return fail(`native stage: ${(e as Error).message}`);
      }
      for (const [kind, ...args] of msgs) {
        switch (kind) {
          case 'pid':
            pid = Number(args[0]);
            h.onPid(pid);
            break;
          case 'sync': {
            if (pid === undefined) return fail(`native stage: sync "${args[0]}" before pid`);
            let state: string;
            try {
              state = h.onSync(args[0] ?? '', pid);
            } catch (e) {
              send(fd, encodeWords(['abort']));
              throw e;
            }
            send(fd, encodeWords(['ok', state]));
            break;
          }
          case 'seccomp': {
            const listener = fds.shift();
            if (pid === undefined || listener === undefined) return fail('native stage: seccomp listener message without pid or fd');
            try {
              if (!h.onSeccomp) throw new Error('native stage: seccomp listener fd sent, but the caller has no listener');
              h.onSeccomp(listener, pid);
            } catch (e) {
              send(fd, encodeWords(['abort']));
              throw e;
            } finally {
              closeFd(listener);
            }
            send(fd, encodeWords(['ok']));
            break;
          }
          case 'ready':
            if (pid === undefined) return fail('native stage: ready before pid');
            return { pid };
          case 'error': {
            const index = Number(args[0]);
            const errno = Number(args[1]);
            const op = plan.ops[index];
            const what = op ? describeOp(op) : `op ${index}`;
            // errno 0: a failure without one (a hook's exit status, a plan without exec)
            return fail(errno ? `${what}: ${args[2] ?? ''}: ${errnoName(errno)} (${strerror(errno)})` : `${what}: ${args[2] ?? ''}`);
          }
          default:
            return fail(`native stage: unexpected message ${JSON.stringify([kind, ...args])}`);
        }
      }
    }
  } finally {
    fds.forEach(closeFd);
  }
}
