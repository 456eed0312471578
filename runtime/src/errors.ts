// One base error with stable codes; the CLI maps them to messages and exit codes at the edge (main.ts).

export type ErrorCode =
  | 'usage'
  | 'invalid_config'
  | 'not_found'
  | 'exists'
  | 'invalid_state'
  | 'create_failed'
  | 'syscall'
  | 'hook_failed'
  | 'unsupported';

export class TsrunError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    // One line, whatever a config value embedded in the message holds (a path with a newline, found by fuzzing).
    super(message.replace(/[\n\r]/g, (c) => (c === '\n' ? '\\n' : '\\r')), options);
  }
}

export const usage = (message: string): TsrunError => new TsrunError('usage', message);
