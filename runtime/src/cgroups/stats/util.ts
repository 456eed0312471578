// Reading cgroup statistics files (v1 and v2) the way runc 1.1's GetStats does. Values are bigint (cgroup counters
// are uint64; "max" is 2^64-1) and go out as exact JSON numbers through statsJson().
import * as fs from 'node:fs';
import * as path from 'node:path/posix';

export const MAX_U64 = 2n ** 64n - 1n;

/** The file's text, or undefined when it is missing (a controller or kernel feature this host lacks). */
export function readOpt(dir: string | undefined, file: string): string | undefined {
  if (dir === undefined) return undefined;
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENODEV') return undefined;
    throw err;
  }
}

/** One number; "max" is 2^64-1; missing or unparsable is 0 (as runc treats files the kernel does not have). */
export function u64(text: string | undefined): bigint {
  const t = text?.trim();
  if (!t) return 0n;
  if (t === 'max') return MAX_U64;
  try {
    return BigInt(t);
  } catch {
    return 0n;
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat) as a map. */
export function keyValues(text: string | undefined): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v, ...rest] = line.trim().split(/\s+/);
    if (!k || v === undefined || rest.length > 0) continue;
    try {
      out[k] = BigInt(v);
    } catch {
      // not a number: not a statistic
    }
  }
  return out;
}

/** A cpu or mem list ("0-3,5") as numbers. */
export function parseList(text: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (text ?? '').trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) continue;
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

/** JSON with bigints written as exact numbers (JSON.stringify cannot). */
export function statsJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v.toString()}` : v));
  return text.replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

/** Drops the keys whose value is 0, "", an empty array or an empty object (Go's omitempty). */
export function omitEmpty<T extends Record<string, unknown>>(obj: T, keys: readonly (keyof T)[]): T {
  const out: Record<string, unknown> = { ...obj };
  for (const k of keys) {
    const v = out[k as string];
    const empty = v === undefined || v === 0 || v === 0n || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    if (empty) delete out[k as string];
  }
  return out as T;
}
