// The one transition table for container states (runtime.md "Lifecycle"), shared by every command.
import type { Status } from '../config/spec.js';
import { TsrunError } from '../errors.js';

export const OPERATIONS = ['start', 'kill', 'delete', 'pause', 'resume', 'exec', 'update'] as const;
export type Operation = (typeof OPERATIONS)[number];

const allowed: Record<Operation, readonly Status[]> = {
  start: ['created'],
  kill: ['created', 'running', 'paused'],
  delete: ['stopped', 'created'],
  pause: ['running'],
  resume: ['paused'],
  exec: ['created', 'running'],
  update: ['created', 'running', 'paused'],
};

export class InvalidStateError extends TsrunError {
  constructor(
    readonly id: string,
    readonly from: Status,
    readonly op: Operation,
  ) {
    super('invalid_state', `cannot ${op} container ${id}: it is ${from}`);
  }
}

export function assertTransition(id: string, from: Status, op: Operation): void {
  if (!allowed[op].includes(from)) throw new InvalidStateError(id, from, op);
}
