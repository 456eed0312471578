// The shim's protobuf messages: static functions generated at build time from proto/ (scripts/gen-shim-proto.js)
// on top of protobufjs/minimal, which keep the shim's memory and start time low. Messages travel as plain objects
// with camelCase fields, uint64 as bigint and bytes as Buffer.
import type { IConversionOptions } from 'protobufjs';
import { type StaticType, methods as methodList, types } from './messages.js';

function messageType(name: string): StaticType {
  const t = types[name];
  if (!t) throw new Error(`no message type ${name} in proto/`);
  return t;
}

const CONVERT = { longs: BigInt, enums: Number, bytes: Buffer, defaults: true } as unknown as IConversionOptions;

// The shim's Bun bundle has only the directions the shim itself uses (messages-server.js, scripts/gen-shim-proto.js).
const oneWay = (name: string, what: string) => new Error(`${name} has no ${what} in this build (the shim's bundle has only its own side)`);

export function encode(name: string, value: object): Uint8Array {
  const t = messageType(name);
  if (!t.encode || !t.fromObject) throw oneWay(name, 'encoder');
  return t.encode(t.fromObject(value)).finish();
}

/** Decodes a message; throws on bytes that are not one (the caller maps that to InvalidArgument). */
export function decode<T>(name: string, bytes: Uint8Array): T {
  const t = messageType(name);
  if (!t.decode || !t.toObject) throw oneWay(name, 'decoder');
  return t.toObject(t.decode(bytes), CONVERT) as T;
}

export interface MethodInfo {
  name: string;
  request: string;
  response: string;
  streaming: boolean;
}

const table = new Map<string, MethodInfo>(methodList.map((m) => [`tsrun.shim.v1.Shim/${m.name}`, m]));

/** The Shim service's methods by full name ("tsrun.shim.v1.Shim/Create"). */
export function methods(): Map<string, MethodInfo> {
  return table;
}
