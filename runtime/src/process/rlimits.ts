// process.rlimits -> setrlimit resources. Values beyond 2^53 arrive rounded by JSON.parse; anything at or above
// 2^64-1 means RLIM_INFINITY.
import type { Rlimit } from '../config/spec.js';
import type { Op } from '../plan/ops.js';
import { TsrunError } from '../errors.js';

export const RLIMITS = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
} as const;

const INFINITY = '18446744073709551615';

function value(v: number): string {
  return v >= 2 ** 64 - 1 ? INFINITY : BigInt(Math.trunc(v)).toString();
}

export function planRlimits(rlimits: readonly Rlimit[] | undefined): Op[] {
  const seen = new Set<string>();
  return (rlimits ?? []).map((r, i) => {
    const resource = RLIMITS[r.type as keyof typeof RLIMITS];
    if (resource === undefined) throw new TsrunError('invalid_config', `config.json: process.rlimits[${i}].type: unknown rlimit "${r.type}"`);
    if (seen.has(r.type)) throw new TsrunError('invalid_config', `config.json: process.rlimits[${i}].type: duplicate rlimit "${r.type}"`);
    seen.add(r.type);
    if (r.soft > r.hard) throw new TsrunError('invalid_config', `config.json: process.rlimits[${i}]: soft limit ${r.soft} exceeds hard limit ${r.hard}`);
    return { op: 'rlimit', resource, name: r.type, soft: value(r.soft), hard: value(r.hard) } satisfies Op;
  });
}
