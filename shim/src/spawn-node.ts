// spawn.ts on Node: node:child_process.
import * as cp from 'node:child_process';
import type { Outcome, Spawn, StartDaemon } from './spawn.js';

export const spawn: Spawn = (file, args, o) => {
  const stdio = [...o.stdio];
  if (o.input && stdio[0] !== 'pipe') stdio[0] = 'pipe';
  const child = cp.spawn(file, args, { stdio, env: o.env });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  if (child.stdin) child.stdin.end(o.input ?? Buffer.alloc(0));
  const done = new Promise<Outcome>((resolve) => {
    const finish = (code: number | null, signal: string | null, error?: Error) =>
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), ...(error ? { error } : {}) });
    child.once('error', (error) => finish(null, null, error));
    child.once('close', (code, signal) => finish(code, signal));
  });
  return { pid: child.pid, done };
};

export const startDaemon: StartDaemon = async (file, args, logFd) => {
  const child = cp.spawn(file, args, { detached: true, stdio: ['ignore', logFd, logFd, 'pipe'], cwd: '/', env: process.env });
  const pipe = child.stdio[3] as NodeJS.ReadableStream | null;
  let said = '';
  pipe?.on('data', (d: Buffer) => (said += d.toString()));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, sig) => resolve(`${code ?? sig}`)));
  const done = new Promise<void>((resolve) => pipe?.on('end', resolve) ?? resolve());
  const how = await Promise.race([done.then(() => undefined), exited]);
  child.unref();
  (pipe as unknown as { destroy?: () => void } | null)?.destroy?.();
  return { said, ...(how ? { exited: how } : {}) };
};
