// The glue between grpc-js and the services: the namespace from the request metadata, decode failures and
// SupervisorError codes turned into gRPC statuses. Nothing else in tsrund knows about gRPC.
import * as grpc from '@grpc/grpc-js';
import { SupervisorError, type ErrorCode } from '../errors.js';
import { checkId } from '../ids.js';
import { DecodeError } from './proto.js';

export const NAMESPACE_KEY = 'tsrund-namespace';
export const DEFAULT_NAMESPACE = 'default';

const CODES: Record<ErrorCode, grpc.status> = {
  invalid_argument: grpc.status.INVALID_ARGUMENT,
  not_found: grpc.status.NOT_FOUND,
  exists: grpc.status.ALREADY_EXISTS,
  failed_precondition: grpc.status.FAILED_PRECONDITION,
  unavailable: grpc.status.UNAVAILABLE,
  unknown: grpc.status.UNKNOWN,
  internal: grpc.status.INTERNAL,
};

export function namespaceOf(call: { metadata: grpc.Metadata }): string {
  const v = call.metadata.get(NAMESPACE_KEY)[0];
  const ns = v === undefined ? DEFAULT_NAMESPACE : String(v);
  return checkId('namespace', ns);
}

export function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof SupervisorError) return { code: CODES[err.code], details: err.message };
  if (err instanceof DecodeError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  const msg = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: msg.split('\n')[0] ?? msg };
}

// Requests arrive as protobufjs plain objects (camelCase, every field present); a decode failure as DecodeError.
export type Req = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type Unary = (req: Req, ns: string) => Promise<object> | object;

export function unary(fn: Unary): grpc.handleUnaryCall<Req, object> {
  return (call, callback) => {
    (async () => {
      if (call.request instanceof DecodeError) throw call.request;
      return fn(call.request, namespaceOf(call));
    })().then(
      (res) => callback(null, res),
      (err) => callback(toStatus(err) as grpc.ServiceError),
    );
  };
}
