// Starts the native stage with a plan and drives the sync protocol drawn in runtime/native/tsrun-init.c:
//
//   tsrun                              native stage
//   spawnInit; join cgroups
//   ops..., ["end"]          ------>
//                            <------   ["pid", host pid of the container init]
//                            <------   ["sync", "hooks"]
//   ["ok", stateJson] | ["abort"] --->
//                            <------   ["ready"]
//   any time:                <------   ["error", op index, errno, detail]
//
// An unexpected message or an early close is an error, never a hang.
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TsrunError } from '../errors.js';
import { errnoName, strerror } from '../linux/errno.js';
import { describeOp } from '../plan/describe.js';
import { type Plan, opWords } from '../plan/ops.js';
import { MessageReader, encodeWords } from '../plan/wire.js';

export const NATIVE_INIT = fileURLToPath(new URL('../../../native/tsrun-init', import.meta.url));

export interface InitHandlers {
  onPid(pid: number): void | Promise<void>;
  /** Runs what the named sync point needs (hooks) and returns the state JSON for in-container hooks. */
  onSync(name: string, pid: number): string | Promise<string>;
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
  run(plan: Plan, h: InitHandlers): Promise<InitResult>;
  kill(): void;
}

export function spawnInit(extraFds: number): NativeStage {
  const syncFd = 3 + extraFds;
  const stdio: ('inherit' | 'pipe' | number)[] = ['inherit', 'inherit', 'inherit'];
  for (let fd = 3; fd < syncFd; fd++) stdio.push(fd);
  stdio.push('pipe');
  const child = spawn(NATIVE_INIT, [String(syncFd)], { stdio, env: {} });
  if (child.pid === undefined) throw new InitError(`cannot start ${NATIVE_INIT}`, undefined);
  const sock = child.stdio[syncFd] as Duplex;
  sock.on('error', () => {});
  return {
    pid: child.pid,
    kill: () => {
      child.kill('SIGKILL');
      sock.destroy();
    },
    run: (plan, h) => {
      if (plan.extraFds !== extraFds) throw new InitError(`native stage spawned for ${extraFds} extra fds, plan has ${plan.extraFds}`, undefined);
      return drive(sock, plan, h);
    },
  };
}

function drive(sock: Duplex, plan: Plan, h: InitHandlers): Promise<InitResult> {
  let pid: number | undefined;
  let settled = false;

  return new Promise<InitResult>((resolve, reject) => {
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      reject(new InitError(message, pid));
    };
    const send = (words: string[]) => sock.write(encodeWords(words));
    const reader = new MessageReader();

    const handle = async (msg: string[]) => {
      const [kind, ...args] = msg;
      switch (kind) {
        case 'pid':
          pid = Number(args[0]);
          await h.onPid(pid);
          return;
        case 'sync': {
          if (pid === undefined) return fail(`native stage: sync "${args[0]}" before pid`);
          try {
            send(['ok', await h.onSync(args[0] ?? '', pid)]);
          } catch (e) {
            send(['abort']);
            fail((e as Error).message);
          }
          return;
        }
        case 'ready':
          if (pid === undefined) return fail('native stage: ready before pid');
          settled = true;
          sock.destroy();
          resolve({ pid });
          return;
        case 'error': {
          const index = Number(args[0]);
          const errno = Number(args[1]);
          const op = plan.ops[index];
          const what = op ? describeOp(op) : `op ${index}`;
          // errno 0: a failure without one (a hook's exit status, a plan without exec)
          return fail(errno ? `${what}: ${args[2] ?? ''}: ${errnoName(errno)} (${strerror(errno)})` : `${what}: ${args[2] ?? ''}`);
        }
        default:
          return fail(`native stage: unexpected message ${JSON.stringify(msg)}`);
      }
    };

    let queue = Promise.resolve();
    sock.on('data', (chunk: Buffer) => {
      let msgs: string[][];
      try {
        msgs = reader.push(chunk);
      } catch (e) {
        return fail(`native stage: ${(e as Error).message}`);
      }
      for (const m of msgs) queue = queue.then(() => handle(m)).catch((e: Error) => fail(e.message));
    });
    sock.on('close', () => queue.then(() => fail('container init exited before it was ready')));

    const frames = plan.ops.map((o) => encodeWords(opWords(o)));
    frames.push(encodeWords(['end']));
    sock.write(Buffer.concat(frames));
  });
}
