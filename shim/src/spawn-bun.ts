// spawn.ts on Bun: Bun.spawn. Bun waits for its own children by pid (pidfd), never with waitpid(-1), so the
// shim's reaper keeps the container's exits. Bun's types are not in this project's @types: the few used here are
// declared below.
import * as fs from 'node:fs';
import type { Outcome, Spawn, StartDaemon } from './spawn.js';

interface Subprocess {
  pid: number;
  exitCode: number | null;
  stdio: (number | null)[];
  unref(): void;
  exited: Promise<number>;
  signalCode: string | null;
  stdout: ReadableStream<Uint8Array> | number | undefined;
  stderr: ReadableStream<Uint8Array> | number | undefined;
}
interface BunSpawn {
  spawn(cmd: string[], o: { stdio: unknown[]; env: Record<string, string | undefined>; detached?: boolean; cwd?: string }): Subprocess;
  file(fd: number): { text(): Promise<string> };
  readableStreamToArrayBuffer(s: ReadableStream<Uint8Array>): Promise<ArrayBuffer>;
}

const bun = (globalThis as unknown as { Bun: BunSpawn }).Bun;

export const spawn: Spawn = (file, args, o) => {
  const [i, out, err] = o.stdio;
  let child: Subprocess;
  try {
    child = bun.spawn([file, ...args], { stdio: [o.input ?? (i === 'pipe' ? 'ignore' : i), out, err], env: o.env });
  } catch (e) {
    const error = new Error(`spawn ${file}: ${(e as Error).message}`);
    return { pid: undefined, done: Promise.resolve({ code: null, signal: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), error }) };
  }
  const read = async (s: Subprocess['stdout']) => (s && typeof s === 'object' ? Buffer.from(await bun.readableStreamToArrayBuffer(s)) : Buffer.alloc(0));
  const done = (async (): Promise<Outcome> => {
    const [stdout, stderr, code] = await Promise.all([read(child.stdout), read(child.stderr), child.exited]);
    return { code: child.signalCode ? null : code, signal: child.signalCode, stdout, stderr };
  })();
  return { pid: child.pid, done };
};

export const startDaemon: StartDaemon = async (file, args, logFd) => {
  const child = bun.spawn([file, ...args], { detached: true, stdio: ['ignore', logFd, logFd, 'pipe'], cwd: '/', env: process.env });
  const fd = child.stdio[3] as number;
  let said: string;
  try {
    // Bun reads the (non-blocking) pipe until EOF: the daemon closed it, or exited.
    said = await bun.file(fd).text();
  } finally {
    fs.closeSync(fd);
  }
  let exited: string | undefined;
  if (!said.startsWith('ok ')) {
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 1000))]);
    exited = child.exitCode === null ? (child.signalCode ?? undefined) : String(child.exitCode);
  }
  child.unref();
  return { said, ...(exited ? { exited } : {}) };
};
