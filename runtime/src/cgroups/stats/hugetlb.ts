// hugetlb statistics per page size, the sizes taken from the limit files in the directory. v1: usage_in_bytes,
// max_usage_in_bytes, failcnt; v2: .current, and the "max" count of .events as failcnt.
import * as fs from 'node:fs';
import { keyValues, omitEmpty, readOpt, u64 } from './util.js';
import type { HugetlbStats } from './types.js';

function pageSizes(dir: string | undefined, suffix: string): string[] {
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const re = new RegExp(`^hugetlb\\.([0-9]+[KMG]B)\\.${suffix.replace('.', '\\.')}$`);
  return names.flatMap((n) => re.exec(n)?.[1] ?? []).sort();
}

export function hugetlbV1(dir: string | undefined): Record<string, HugetlbStats> {
  const out: Record<string, HugetlbStats> = {};
  for (const size of pageSizes(dir, 'limit_in_bytes')) {
    const f = (name: string): bigint => u64(readOpt(dir, `hugetlb.${size}.${name}`));
    out[size] = omitEmpty({ usage: f('usage_in_bytes'), max: f('max_usage_in_bytes'), failcnt: f('failcnt') }, ['usage', 'max']);
  }
  return out;
}

export function hugetlbV2(dir: string | undefined): Record<string, HugetlbStats> {
  const out: Record<string, HugetlbStats> = {};
  for (const size of pageSizes(dir, 'max')) {
    const failcnt = keyValues(readOpt(dir, `hugetlb.${size}.events`)).max ?? 0n;
    out[size] = omitEmpty({ usage: u64(readOpt(dir, `hugetlb.${size}.current`)), failcnt }, ['usage']);
  }
  return out;
}
