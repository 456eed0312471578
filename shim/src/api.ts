// The shapes of proto/shim/v1/shim.proto's messages as they travel in JavaScript (rpc/proto.ts): camelCase
// fields, uint64 as bigint, bytes as Buffer. Requests may leave fields out (proto3 defaults); answers have them all.

export const Status = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4, PAUSING: 5 } as const;
export type StatusValue = (typeof Status)[keyof typeof Status];

export const Topic = {
  create: '/tasks/create',
  start: '/tasks/start',
  exit: '/tasks/exit',
  delete: '/tasks/delete',
  execAdded: '/tasks/exec-added',
  execStarted: '/tasks/exec-started',
  paused: '/tasks/paused',
  resumed: '/tasks/resumed',
  oom: '/tasks/oom',
} as const;
export type TopicValue = (typeof Topic)[keyof typeof Topic];

export interface Stdio {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  openStdin: boolean;
}

export interface ConnectResponse { shimPid: number; taskPid: number; version: string; id: string; namespace: string }
export interface CreateRequest { id: string; bundle: string; stdio?: Partial<Stdio> }
export interface ProcessRequest { id: string; execId?: string }
export interface StateResponse {
  id: string;
  execId: string;
  bundle: string;
  pid: number;
  status: StatusValue;
  stdio: Stdio;
  exitStatus: number;
  exitedAt: bigint;
  oomKilled: boolean;
  logPath: string;
}
export interface ExecRequest { id: string; execId: string; stdio?: Partial<Stdio>; spec: Buffer | Uint8Array }
export interface KillRequest { id: string; execId?: string; signal: number; all?: boolean }
export interface ProcessInfo { pid: number; execId: string }
export interface UpdateRequest { id: string; resources: Buffer | Uint8Array }
export interface ResizePtyRequest { id: string; execId?: string; width: number; height: number }
export interface CloseIORequest { id: string; execId?: string; stdin?: boolean }
export interface ExitStatus { exitStatus: number; exitedAt: bigint }
export interface DeleteResponse { pid: number; exitStatus: number; exitedAt: bigint }
export interface ShutdownRequest { id: string; now?: boolean }
export interface WriteStdinRequest { id: string; execId?: string; data: Buffer | Uint8Array; close?: boolean }

export interface Event {
  seq: bigint;
  timestamp: bigint;
  topic: TopicValue;
  namespace: string;
  containerId: string;
  execId: string;
  pid: number;
  exitStatus: number;
  exitedAt: bigint;
}

export const OutputStream = { STDOUT: 0, STDERR: 1 } as const;
export interface Output { stream: (typeof OutputStream)[keyof typeof OutputStream]; data: Buffer }

/** The package prefix of method names on the wire. */
export const SERVICE = 'tsrun.shim.v1.Shim';
export const msg = (name: string) => `tsrun.shim.v1.${name}`;
