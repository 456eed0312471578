// What every tsctl command gets: a client for the chosen socket and namespace, and the output format.
import * as os from 'node:os';
import type { TsrundClient } from '../client.js';
import type { Format } from './format.js';

export interface Ctx {
  client: TsrundClient;
  format: Format;
}

export function labelsOf(kvs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of kvs) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--label "${kv}": use KEY=VALUE`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** KILL, SIGKILL or 9 -> 9. */
export function signalNumber(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const name = (s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`) as keyof typeof os.constants.signals;
  const n = os.constants.signals[name];
  if (n === undefined) throw new Error(`unknown signal "${s}"`);
  return n;
}
