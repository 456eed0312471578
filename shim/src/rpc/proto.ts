// The shim's protobuf types, parsed from proto/ at run time with protobufjs (a few ms; no generated code to keep in
// step). Messages travel as plain objects with camelCase fields, uint64 as bigint and bytes as Buffer.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The repository's proto/ folder: found upwards from this module, which may sit in dist/ or in a bundle. */
function protoDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'shim', 'v1', 'shim.proto'))) return join(dir, 'proto');
    if (dirname(dir) === dir) throw new Error(`cannot find proto/shim/v1/shim.proto above ${fileURLToPath(import.meta.url)}`);
  }
}

let root: protobuf.Root | undefined;

function load(): protobuf.Root {
  if (!root) {
    const dir = protoDir();
    root = protobuf.loadSync([join(dir, 'frame.proto'), join(dir, 'shim', 'v1', 'shim.proto')]);
  }
  return root;
}

const types = new Map<string, protobuf.Type>();

export function messageType(name: string): protobuf.Type {
  let t = types.get(name);
  if (!t) {
    t = load().lookupType(name);
    types.set(name, t);
  }
  return t;
}

const CONVERT: protobuf.IConversionOptions = { longs: BigInt as unknown as protobuf.IConversionOptions['longs'], enums: Number, bytes: Buffer as unknown as protobuf.IConversionOptions['bytes'], defaults: true };

export function encode(name: string, value: object): Uint8Array {
  const t = messageType(name);
  return t.encode(t.fromObject(value)).finish();
}

/** Decodes a message; throws on bytes that are not one (the caller maps that to InvalidArgument). */
export function decode<T>(name: string, bytes: Uint8Array): T {
  const t = messageType(name);
  return t.toObject(t.decode(bytes), CONVERT) as T;
}

export interface MethodInfo {
  name: string;
  request: string;
  response: string;
  streaming: boolean;
}

/** The Shim service's methods by full name ("tsrun.shim.v1.Shim/Create"). */
export function methods(): Map<string, MethodInfo> {
  const svc = load().lookupService('tsrun.shim.v1.Shim');
  const out = new Map<string, MethodInfo>();
  for (const m of svc.methodsArray) {
    m.resolve();
    out.set(`tsrun.shim.v1.Shim/${m.name}`, {
      name: m.name,
      request: (m.resolvedRequestType as protobuf.Type).fullName.slice(1),
      response: (m.resolvedResponseType as protobuf.Type).fullName.slice(1),
      streaming: Boolean(m.responseStream),
    });
  }
  return out;
}
