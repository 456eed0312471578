// Signal names for kill: "KILL", "SIGKILL" and "9" all mean the same signal, as with runc.
import { TsrunError } from '../errors.js';
import { lazyBuiltin } from '../lazy-builtin.js';

const os = lazyBuiltin<typeof import('node:os')>('node:os');
const signals = (): Record<string, number> => os().constants.signals as Record<string, number>;

export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const n = signals()[name];
    if (n !== undefined) return n;
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
    if (rt) {
      const off = Number(rt[1] ?? 0);
      const v = name.startsWith('SIGRTMIN') ? 34 + off : 64 - off;
      if (v >= 34 && v <= 64) return v;
    }
  }
  throw new TsrunError('usage', `unknown signal "${text}"`);
}

export function signalName(n: number): string {
  return Object.entries(signals()).find(([, v]) => v === n)?.[0] ?? String(n);
}
