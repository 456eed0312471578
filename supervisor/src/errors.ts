// One error type for the supervisor with stable codes; the gRPC layer (api/server.ts) maps them to status codes,
// nothing else looks at gRPC.
export type ErrorCode = 'invalid_argument' | 'not_found' | 'exists' | 'failed_precondition' | 'unavailable' | 'unknown' | 'internal';

export class SupervisorError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const invalid = (message: string): SupervisorError => new SupervisorError('invalid_argument', message);
export const notFound = (message: string): SupervisorError => new SupervisorError('not_found', message);
export const exists = (message: string): SupervisorError => new SupervisorError('exists', message);
export const precondition = (message: string): SupervisorError => new SupervisorError('failed_precondition', message);

// gRPC status numbers the shim answers with (frame.proto Response.code).
const FROM_SHIM: Record<number, ErrorCode> = { 2: 'unknown', 3: 'invalid_argument', 5: 'not_found', 6: 'exists', 9: 'failed_precondition', 14: 'unavailable' };

/** A shim's error as a SupervisorError with the same code and the shim's (for a runtime failure, tsrun's) message. */
export function fromShim(err: unknown): Error {
  if (err instanceof SupervisorError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return new SupervisorError(FROM_SHIM[code] ?? 'internal', (err as Error).message, { cause: err });
  if (typeof code === 'string' && ['ECONNREFUSED', 'ENOENT', 'EPIPE', 'ECONNRESET'].includes(code)) {
    return new SupervisorError('unavailable', `shim unreachable: ${(err as Error).message}`, { cause: err });
  }
  return err as Error;
}
