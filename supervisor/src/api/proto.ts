// The wire of tsrund's API (proto/tsrund/v1/*.proto) as grpc-js ServiceDefinitions, so the server and every client
// (tsctl, the tests, an engine) share one description of it. The .proto files are the source; at build time
// scripts/gen-tsrund-proto.js turns them with protobufjs's own code generators into static codecs on
// protobufjs/minimal (messages.js), because every tsctl call would otherwise parse them again.
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import type { IConversionOptions } from 'protobufjs';
import { services, types, type StaticType } from './messages.js';

export const PACKAGE = 'tsrund.v1';
export const SERVICES = ['Containers', 'Tasks', 'Events', 'Version', 'Namespaces'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A request that could not be decoded: handed to the method so it can answer InvalidArgument (grpc-js would
 * answer Internal). */
export class DecodeError extends Error {}

// uint64 times as numbers (nanoseconds fit a double's 53 bits until 2255 only to the microsecond; good enough for
// stamps), enums as numbers, every field present so callers need no `?? ''`.
const TO_OBJECT: IConversionOptions = { longs: Number, enums: Number, defaults: true, arrays: true, objects: true };

export function messageType(name: string): StaticType {
  const t = types[`${PACKAGE}.${name}`];
  if (!t) throw new Error(`no message type ${PACKAGE}.${name} in proto/tsrund/v1`);
  return t;
}

function codec(type: StaticType): Pick<MethodDefinition<object, object>, 'requestSerialize' | 'requestDeserialize'> {
  return {
    requestSerialize: (value: object) => Buffer.from(type.encode(type.fromObject(value)).finish()),
    requestDeserialize: (bytes: Buffer) => {
      try {
        return type.toObject(type.decode(bytes), TO_OBJECT);
      } catch (err) {
        return new DecodeError(`malformed ${type.name}: ${(err as Error).message}`);
      }
    },
  };
}

const definitions = new Map<ServiceName, ServiceDefinition>();
/** The grpc-js definition of one service: method names as in the .proto (Create, Get, ...). */
export function serviceDefinition(name: ServiceName): ServiceDefinition {
  let def = definitions.get(name);
  if (def) return def;
  const list = services[name];
  if (!list) throw new Error(`no service ${PACKAGE}.${name} in proto/tsrund/v1`);
  const methods: Record<string, MethodDefinition<object, object>> = {};
  for (const method of list) {
    const req = codec(types[method.request] as StaticType);
    const res = codec(types[method.response] as StaticType);
    methods[method.name] = {
      path: `/${PACKAGE}.${name}/${method.name}`,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: req.requestSerialize,
      requestDeserialize: req.requestDeserialize,
      responseSerialize: res.requestSerialize,
      responseDeserialize: res.requestDeserialize,
    } as MethodDefinition<object, object>;
  }
  def = methods as ServiceDefinition;
  definitions.set(name, def);
  return def;
}
