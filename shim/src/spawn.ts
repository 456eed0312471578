// Running a program and collecting its exit and output, one backend per engine: Bun.spawn on Bun,
// node:child_process on Node. On Bun, node:child_process costs each shim ~0.4 MB when loaded and ~2 MB and two
// threads once it has spawned (measured); Bun.spawn costs ~0.2 MB (output read by the shim's poller, not Bun's
// streams: spawn-bun.ts). Used for the runtime's commands (runtime.ts).
// Each backend is loaded only on its engine.
import { loadRawIo } from './io/raw.js';

export type StdioSlot = number | 'ignore' | 'pipe';

export interface SpawnOptions {
  /** stdin/stdout/stderr: an fd of the shim's (the child gets a copy), 'ignore' (/dev/null) or 'pipe' (collected;
   * for stdin: fed with `input`). */
  stdio: [StdioSlot, StdioSlot, StdioSlot];
  input?: Uint8Array;
  env: Record<string, string | undefined>;
}

export interface Outcome {
  /** The exit code, or null when a signal ended it or it could not be started. */
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Why it could not be started. */
  error?: Error;
}

export interface Spawned {
  /** Known at once (undefined when it could not be started). */
  pid: number | undefined;
  /** Resolves once it has exited and its piped output is read. */
  done: Promise<Outcome>;
}

export type Spawn = (file: string, args: string[], o: SpawnOptions) => Spawned;

let loaded: Promise<Spawn> | undefined;

export function loadSpawn(): Promise<Spawn> {
  loaded ??= process.versions.bun
    ? Promise.all([import('./spawn-bun.js'), loadRawIo()]).then(([m, raw]) => m.spawnWith(raw))
    : import('./spawn-node.js').then((m) => m.spawn);
  return loaded;
}

/**
 * Starts a daemon in a session of its own (setsid; stdin /dev/null, stdout and stderr on logFd, cwd /) with a pipe
 * on its fd 3, and reads that pipe until the daemon closes it (or exits). `exited` says how it ended if it has.
 */
export type StartDaemon = (file: string, args: string[], logFd: number) => Promise<{ said: string; exited?: string }>;

export function loadStartDaemon(): Promise<StartDaemon> {
  return process.versions.bun ? import('./spawn-bun.js').then((m) => m.startDaemon) : import('./spawn-node.js').then((m) => m.startDaemon);
}
