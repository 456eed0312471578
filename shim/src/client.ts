// ShimClient: the tsrun-shim API from the caller's side (the supervisor, tsctl, tests). One connection per client
// for unary calls, which may run concurrently; subscribe() and attach() each open a connection of their own,
// closed when the iteration ends (the protocol ends a stream when the client hangs up). Independent of the server.
//
//   const shim = await ShimClient.fromBundle(bundle);   // or ShimClient.connect(socketPath)
//   await shim.create({ id, bundle });
//   for await (const ev of shim.subscribe(lastSeq)) { ... }
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import type * as api from './api.js';
import { SERVICE, msg } from './api.js';
import { Code } from './rpc/codes.js';
import { FrameReader, FrameType, encodeFrame } from './rpc/frame.js';
import { decode, encode } from './rpc/proto.js';

/** A failed call: `code` is the gRPC status code the shim sent (rpc/codes.ts), `message` its one-line reason. */
export class ShimCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly method: string,
  ) {
    super(message);
  }
}

interface Pending {
  method: string;
  responseType: string;
  onData?: (payload: Uint8Array) => void;
  resolve(payload: Uint8Array): void;
  reject(e: Error): void;
}

class Connection {
  private next = 1;
  private pending = new Map<number, Pending>();
  private reader = new FrameReader();
  private closedError: Error | undefined;

  private constructor(private sock: net.Socket) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (e?: Error) => this.failAll(new ShimCallError(Code.Unavailable, `connection to the shim closed${e ? `: ${e.message}` : ''}`, ''));
    sock.on('error', fail);
    sock.on('close', () => fail());
  }

  static open(address: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(address);
      sock.once('error', (e) => reject(new ShimCallError(Code.Unavailable, `cannot connect to the shim at ${address}: ${e.message}`, '')));
      sock.once('connect', () => resolve(new Connection(sock)));
    });
  }

  private failAll(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.failAll(new ShimCallError(Code.Internal, `bad frame from the shim: ${(e as Error).message}`, ''));
      this.sock.destroy();
      return;
    }
    for (const f of frames) {
      const p = this.pending.get(f.stream);
      if (f.type === FrameType.Data) {
        p?.onData?.(f.payload);
        continue;
      }
      const r = decode<{ code: number; message: string; payload: Buffer }>('tsrun.frame.v1.Response', f.payload);
      if (f.stream === 0 && r.code !== 0) this.failAll(new ShimCallError(r.code, r.message, ''));
      if (!p) continue;
      this.pending.delete(f.stream);
      if (r.code !== 0) p.reject(new ShimCallError(r.code, r.message, p.method));
      else p.resolve(r.payload);
    }
  }

  call(method: string, reqType: string, req: object, responseType: string, onData?: (payload: Uint8Array) => void): Promise<Uint8Array> {
    if (this.closedError) return Promise.reject(this.closedError);
    const stream = this.next;
    this.next += 2;
    const payload = encode(msg(reqType), req);
    return new Promise((resolve, reject) => {
      this.pending.set(stream, { method, responseType, resolve, reject, onData });
      this.sock.write(encodeFrame(stream, FrameType.Request, encode('tsrun.frame.v1.Request', { method: `${SERVICE}/${method}`, payload })));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Streams `method`'s messages on a connection of its own; ending the iteration hangs up. */
async function* streamOf<T>(address: string, method: string, reqType: string, req: object, itemType: string): AsyncGenerator<T> {
  const conn = await Connection.open(address);
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let error: Error | undefined;
  conn
    .call(method, reqType, req, itemType, (p) => {
      queue.push(decode<T>(msg(itemType), p));
      wake?.();
    })
    .then(
      () => (done = true),
      (e: Error) => (error = e),
    )
    .finally(() => wake?.());
  try {
    for (;;) {
      while (queue.length) yield queue.shift() as T;
      if (error) throw error;
      if (done) return;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    conn.close();
  }
}

export class ShimClient {
  private constructor(
    readonly address: string,
    private conn: Connection,
  ) {}

  /** Connects to a shim's socket (the path in `<bundle>/shim.address`). */
  static async connect(address: string): Promise<ShimClient> {
    return new ShimClient(address, await Connection.open(address));
  }

  /** Connects to the shim of the container whose bundle this is (its `shim.address`). */
  static fromBundle(bundle: string): Promise<ShimClient> {
    return ShimClient.connect(readFileSync(join(bundle, 'shim.address'), 'utf8').trim());
  }

  /** Closes the connection of the unary calls; calls still waiting reject with code Unavailable. */
  close(): void {
    this.conn.close();
  }

  private async unary<T>(method: string, reqType: string, req: object, respType: string): Promise<T> {
    return decode<T>(msg(respType), await this.conn.call(method, reqType, req, respType));
  }

  connect = () => this.unary<api.ConnectResponse>('Connect', 'ConnectRequest', {}, 'ConnectResponse');
  /** `tsrun create`; answers with the init's pid. */
  create = (r: api.CreateRequest) => this.unary<{ pid: number }>('Create', 'CreateRequest', r, 'CreateResponse');
  /** Starts the init (no execId) or an exec added by exec(). */
  start = (r: api.ProcessRequest) => this.unary<{ pid: number }>('Start', 'StartRequest', r, 'StartResponse');
  state = (r: api.ProcessRequest) => this.unary<api.StateResponse>('State', 'StateRequest', r, 'StateResponse');
  /** Adds an exec process; `spec` is the OCI process object as JSON bytes. Start it with start({id, execId}). */
  exec = (r: api.ExecRequest) => this.unary<object>('Exec', 'ExecRequest', r, 'Empty').then(() => undefined);
  kill = (r: api.KillRequest) => this.unary<object>('Kill', 'KillRequest', r, 'Empty').then(() => undefined);
  pause = (id: string) => this.unary<object>('Pause', 'ContainerRequest', { id }, 'Empty').then(() => undefined);
  resume = (id: string) => this.unary<object>('Resume', 'ContainerRequest', { id }, 'Empty').then(() => undefined);
  pids = (id: string) => this.unary<{ processes: api.ProcessInfo[] }>('Pids', 'ContainerRequest', { id }, 'PidsResponse').then((r) => r.processes);
  /** `tsrun events --stats` data (runc's stats JSON), parsed. */
  stats = (id: string) => this.unary<{ json: Buffer }>('Stats', 'ContainerRequest', { id }, 'StatsResponse').then((r) => JSON.parse(r.json.toString() || 'null') as unknown);
  /** `tsrun update -r -` with a LinuxResources object. */
  update = (id: string, resources: object) => this.unary<object>('Update', 'UpdateRequest', { id, resources: Buffer.from(JSON.stringify(resources)) }, 'Empty').then(() => undefined);
  resizePty = (r: api.ResizePtyRequest) => this.unary<object>('ResizePty', 'ResizePtyRequest', r, 'Empty').then(() => undefined);
  closeIO = (r: api.CloseIORequest) => this.unary<object>('CloseIO', 'CloseIORequest', r, 'Empty').then(() => undefined);
  writeStdin = (r: api.WriteStdinRequest) => this.unary<object>('WriteStdin', 'WriteStdinRequest', r, 'Empty').then(() => undefined);
  /** Resolves with the process's exit once it has exited (at once if it already has). */
  wait = (r: api.ProcessRequest) => this.unary<api.ExitStatus>('Wait', 'ProcessRequest', r, 'ExitStatus');
  delete = (r: api.ProcessRequest) => this.unary<api.DeleteResponse>('Delete', 'ProcessRequest', r, 'DeleteResponse');
  /** Ends the shim (refused while its container exists unless `now`); the connection closes after. */
  shutdown = (r: api.ShutdownRequest) => this.unary<object>('Shutdown', 'ShutdownRequest', r, 'Empty').then(() => undefined);

  /** Every recorded event with seq > afterSeq, then live ones, until the iteration ends or the shim goes away. */
  subscribe(afterSeq = 0n): AsyncGenerator<api.Event> {
    return streamOf<api.Event>(this.address, 'Subscribe', 'SubscribeRequest', { afterSeq }, 'Event');
  }

  /** The process's stdout and stderr from now on, until it has exited and its output is drained. */
  attach(r: api.ProcessRequest): AsyncGenerator<api.Output> {
    return streamOf<api.Output>(this.address, 'Attach', 'AttachRequest', r, 'Output');
  }
}
