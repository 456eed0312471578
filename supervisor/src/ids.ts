// Container ids, exec ids and namespace names become path components (bundle and metadata directories), so only
// a plain name is accepted: letters, digits, '.', '_', '-', starting with a letter or digit (no '/', no '..').
import { invalid } from './errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,75}$/;

export function checkId(what: string, value: string): string {
  if (!value) throw invalid(`${what} is required`);
  if (!NAME.test(value)) {
    throw invalid(`${what} "${value}" is invalid: use at most 76 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return value;
}

/** An exec id may be empty (the init process). */
export function checkExecId(value: string): string {
  return value ? checkId('exec id', value) : '';
}
