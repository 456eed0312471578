// What tsrund needs from one tsrun-shim (proto/shim/v1/shim.proto), as an interface: the real client
// (runtime/shim-client.ts wraps shim/src/client.ts) and the fake in the unit tests both implement it.
// Numbers are plain numbers (uint64 times in nanoseconds); JSON payloads are Buffers.

export interface ShimStdio {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  openStdin?: boolean;
}

/** The shim's Status enum. */
export const Status = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4, PAUSING: 5 } as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

export interface ShimState {
  id: string;
  execId: string;
  pid: number;
  status: StatusCode;
  stdio: ShimStdio;
  exitStatus: number;
  exitedAt: number;
}

export interface ShimEvent {
  seq: number;
  timestamp: number;
  topic: string;
  namespace: string;
  containerId: string;
  execId: string;
  pid: number;
  exitStatus: number;
  exitedAt: number;
}

export interface ExitInfo {
  pid: number;
  exitStatus: number;
  exitedAt: number;
}

export interface Proc {
  id: string;
  execId: string;
}

export interface ShimApi {
  connect(): Promise<{ shimPid: number; taskPid: number; version: string }>;
  create(req: { id: string; bundle: string; stdio: ShimStdio }): Promise<{ pid: number }>;
  start(req: Proc): Promise<{ pid: number }>;
  state(req: Proc): Promise<ShimState>;
  exec(req: Proc & { stdio: ShimStdio; spec: Buffer }): Promise<void>;
  kill(req: Proc & { signal: number; all: boolean }): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  pids(id: string): Promise<{ pid: number; execId: string }[]>;
  stats(id: string): Promise<Buffer>;
  update(id: string, resources: Buffer): Promise<void>;
  resizePty(req: Proc & { width: number; height: number }): Promise<void>;
  closeIO(req: Proc & { stdin: boolean }): Promise<void>;
  wait(req: Proc): Promise<ExitInfo>;
  delete(req: Proc): Promise<ExitInfo>;
  shutdown(id: string, now: boolean): Promise<void>;
  /** Every recorded event after afterSeq, then live ones; ends when the shim goes away or close() is called. */
  subscribe(afterSeq: number): AsyncIterable<ShimEvent>;
  close(): void;
}

/** An error from the shim: its gRPC status code and one-line message (tsrun's own for a failed runtime command). */
export interface ShimError extends Error {
  code: number;
}

/** Starts, reaches and removes shims: `tsrun-shim start|delete` and connecting to an address. */
export interface ShimLauncher {
  /** Starts a shim (`tsrun-shim serve` with the start handshake); resolves with its socket address. */
  start(opts: ShimOptions): Promise<string>;
  connect(address: string): Promise<ShimApi>;
  /** `tsrun-shim delete`: kills what is left of the container and removes the runtime's state. */
  cleanup(opts: ShimOptions): Promise<ExitInfo | undefined>;
}

export interface ShimOptions {
  id: string;
  namespace: string;
  bundle: string;
  stateDir: string;
  runtime: string;
  runtimeRoot: string;
}
