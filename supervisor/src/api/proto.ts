// Loads proto/tsrund/v1/*.proto with protobufjs and turns each service into a grpc-js ServiceDefinition, so the
// server and every client (tsctl, the tests, an engine) share one description of the wire. No generated code: the
// .proto files are the source, read at start-up.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';

/** proto/ of this checkout (this file runs as dist/supervisor/src/api/proto.js). */
export const PROTO_DIR = path.resolve(fileURLToPath(new URL('../../../../proto/', import.meta.url)));
const FILES = ['types.proto', 'containers.proto', 'tasks.proto', 'events.proto', 'system.proto'];
export const PACKAGE = 'tsrund.v1';
export const SERVICES = ['Containers', 'Tasks', 'Events', 'Version', 'Namespaces'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A request that could not be decoded: handed to the method so it can answer InvalidArgument (grpc-js would
 * answer Internal). */
export class DecodeError extends Error {}

// uint64 times as numbers (nanoseconds fit a double's 53 bits until 2255 only to the microsecond; good enough for
// stamps), enums as numbers, every field present so callers need no `?? ''`.
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: true, arrays: true, objects: true };

let root: protobuf.Root | undefined;
export function protoRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(PROTO_DIR, 'tsrund', 'v1', path.basename(target));
    root.loadSync(FILES, { keepCase: false });
    root.resolveAll();
  }
  return root;
}

export function messageType(name: string): protobuf.Type {
  return protoRoot().lookupType(`${PACKAGE}.${name}`);
}

function codec(type: protobuf.Type): Pick<MethodDefinition<object, object>, 'requestSerialize' | 'requestDeserialize'> {
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
  const service = protoRoot().lookupService(`${PACKAGE}.${name}`);
  const methods: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = codec(method.resolvedRequestType as protobuf.Type);
    const res = codec(method.resolvedResponseType as protobuf.Type);
    methods[method.name] = {
      path: `/${PACKAGE}.${name}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
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
