// The modules scripts/gen-shim-proto.js generates at build time: dist/shim/src/rpc/messages.js, and
// messages-server.js, which the shim's Bun bundle takes in its place, with only the shim's own directions (a message
// the shim only receives has no encoder there, one it only sends no decoder).
import type { IConversionOptions, Writer } from 'protobufjs';

export interface StaticType {
  encode?(message: object, writer?: Writer): Writer;
  decode?(bytes: Uint8Array): object;
  fromObject?(value: object): object;
  toObject?(message: object, options: IConversionOptions): object;
}

export const types: Record<string, StaticType>;
export const methods: { name: string; request: string; response: string; streaming: boolean }[];
