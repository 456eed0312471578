// gRPC status codes carried in Response.code, and the one error class handlers throw to choose one.
export const Code = {
  OK: 0,
  Unknown: 2,
  InvalidArgument: 3,
  NotFound: 5,
  AlreadyExists: 6,
  FailedPrecondition: 9,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
} as const;

export type CodeValue = (typeof Code)[keyof typeof Code];

export class ShimError extends Error {
  constructor(
    readonly code: CodeValue,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const notFound = (m: string) => new ShimError(Code.NotFound, m);
export const invalid = (m: string) => new ShimError(Code.InvalidArgument, m);
export const precondition = (m: string) => new ShimError(Code.FailedPrecondition, m);
export const exists = (m: string) => new ShimError(Code.AlreadyExists, m);
