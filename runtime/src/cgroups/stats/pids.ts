// pids statistics (v1 and v2 alike): pids.current and pids.max, "max" reported as 0 like runc.
import { MAX_U64, omitEmpty, readOpt, u64 } from './util.js';
import type { PidsStats } from './types.js';

export function pidsStats(dir: string | undefined): PidsStats {
  const limit = u64(readOpt(dir, 'pids.max'));
  return omitEmpty({ current: u64(readOpt(dir, 'pids.current')), limit: limit === MAX_U64 ? 0n : limit }, ['current', 'limit']);
}
