// The module scripts/gen-tsrund-proto.js generates at build time (dist/supervisor/src/api/messages.js).
import type { IConversionOptions, Writer } from 'protobufjs';

export interface StaticType {
  /** The message's short name (CreateContainerRequest). */
  name: string;
  encode(message: object, writer?: Writer): Writer;
  decode(bytes: Uint8Array): object;
  fromObject(value: object): object;
  toObject(message: object, options: IConversionOptions): object;
}

export interface MethodInfo {
  name: string;
  request: string;
  response: string;
  requestStream: boolean;
  responseStream: boolean;
}

/** Every message of proto/tsrund/v1, by full name (tsrund.v1.Container). */
export const types: Record<string, StaticType>;
/** Every service of package tsrund.v1, by short name (Containers), with its methods in .proto order. */
export const services: Record<string, MethodInfo[]>;
