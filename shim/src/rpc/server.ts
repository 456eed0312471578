// The shim's API server: frames (rpc/frame.ts) over a unix socket, requests dispatched to handlers by method name.
//
//   client                                    shim
//   [stream s, type 1] Request{method, payload} ---->
//                                              <---- [s, type 3] message   (streaming methods only, 0..n times)
//                                              <---- [s, type 2] Response{code, message, payload}
//
// Calls on one connection run concurrently and may answer out of order. A frame that cannot be parsed gets an
// InvalidArgument Response on stream 0 and the connection is closed; every other connection goes on.
import * as fs from 'node:fs';
import { Code, type CodeValue, ShimError } from './codes.js';
import { FrameReader, FrameType, encodeFrame } from './frame.js';
import { type MethodInfo, decode, encode, methods } from './proto.js';
import { type Conn, type ConnEvents, type Listening, loadTransport } from './transport.js';

export type Unary = (req: never) => Promise<object> | object;
/** Sends messages with `send` until done; `closed` resolves when the client goes away. */
export type Streaming = (req: never, send: (message: object) => void, closed: Promise<void>) => Promise<void>;
export type Handlers = Record<string, Unary | { stream: Streaming }>;

interface Request {
  method: string;
  payload: Buffer;
}

function errorOf(e: unknown): { code: CodeValue; message: string } {
  if (e instanceof ShimError) return { code: e.code, message: e.message };
  return { code: Code.Internal, message: e instanceof Error ? e.message : String(e) };
}

export interface ServeOptions {
  log: (line: string) => void;
  /** Called after every call has been answered. */
  afterCall?: () => void;
}

export async function serve(path: string, handlers: Handlers, o: ServeOptions): Promise<Listening> {
  const table = methods();
  const server = await (await loadTransport()).listen(path, (conn) => connection(conn, table, handlers, o));
  fs.chmodSync(path, 0o600);
  return server;
}

function connection(sock: Conn, table: Map<string, MethodInfo>, handlers: Handlers, o: ServeOptions): ConnEvents {
  const log = o.log;
  const reader = new FrameReader();
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let refused = false;
  const write = (b: Buffer) => sock.write(b);
  const respond = (stream: number, code: number, message: string, payload: Uint8Array = new Uint8Array(0)) =>
    write(encodeFrame(stream, FrameType.Response, encode('tsrun.frame.v1.Response', { code, message, payload })));
  const refuse = (why: string) => {
    log(`refusing a connection: ${why}`);
    respond(0, Code.InvalidArgument, why);
    refused = true;
    sock.end();
  };
  const data = (chunk: Buffer) => {
    if (refused) return;
    let frames;
    try {
      frames = reader.push(chunk);
    } catch (e) {
      return refuse((e as Error).message);
    }
    for (const f of frames) {
      if (f.type !== FrameType.Request) return refuse(`frame type ${f.type} on stream ${f.stream}: a client sends only requests (type 1)`);
      let req: Request;
      try {
        req = decode<Request>('tsrun.frame.v1.Request', f.payload);
      } catch (e) {
        return refuse(`stream ${f.stream}: not a tsrun.frame.v1.Request: ${(e as Error).message}`);
      }
      void call(f.stream, req).finally(o.afterCall);
    }
  };
  return { data, closed: () => resolveClosed() };

  async function call(stream: number, req: Request): Promise<void> {
    const info = table.get(req.method);
    const handler = handlers[info?.name ?? ''];
    if (!info || !handler) return respond(stream, Code.Unimplemented, `unknown method "${req.method}"`);
    let body: never;
    try {
      body = decode(info.request, req.payload) as never;
    } catch (e) {
      return respond(stream, Code.InvalidArgument, `${info.name}: the payload is not a ${info.request}: ${(e as Error).message}`);
    }
    try {
      if (typeof handler === 'function') {
        const out = await handler(body);
        respond(stream, Code.OK, '', encode(info.response, out));
      } else {
        await handler.stream(body, (m) => write(encodeFrame(stream, FrameType.Data, encode(info.response, m))), closed);
        respond(stream, Code.OK, '');
      }
    } catch (e) {
      const { code, message } = errorOf(e);
      if (code === Code.Internal) log(`${info.name}: ${message}`);
      respond(stream, code, message);
    }
  }
}
