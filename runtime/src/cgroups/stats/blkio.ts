// blkio statistics. v1 (runc's fs/blkio.go): the CFQ/BFQ recursive files when the scheduler keeps them, else the
// throttle files; lines "major:minor Op value" ("Total N" skipped). v2: io.stat, rbytes/wbytes as service bytes and
// rios/wios as serviced, each as Read/Write entries.
import { omitEmpty, readOpt, u64 } from './util.js';
import type { BlkioEntry, BlkioStats } from './types.js';

export function parseBlkioFile(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2 || f[0] === 'Total' || !f[0]?.includes(':')) continue;
    const [major, minor] = (f[0] as string).split(':');
    const e: BlkioEntry = { major: u64(major), minor: u64(minor), op: f.length >= 3 ? (f[1] as string) : '', value: u64(f[f.length - 1]) };
    out.push(omitEmpty(e as Record<string, unknown>, ['major', 'minor', 'op', 'value']) as BlkioEntry);
  }
  return out;
}

const CFQ: readonly [keyof BlkioStats, string][] = [
  ['sectorsRecursive', 'sectors_recursive'],
  ['ioServiceBytesRecursive', 'io_service_bytes_recursive'],
  ['ioServicedRecursive', 'io_serviced_recursive'],
  ['ioQueueRecursive', 'io_queued_recursive'],
  ['ioServiceTimeRecursive', 'io_service_time_recursive'],
  ['ioWaitTimeRecursive', 'io_wait_time_recursive'],
  ['ioMergedRecursive', 'io_merged_recursive'],
  ['ioTimeRecursive', 'time_recursive'],
];

function collect(dir: string | undefined, files: readonly [keyof BlkioStats, string][]): BlkioStats {
  const out: BlkioStats = {};
  for (const [key, file] of files) {
    const entries = parseBlkioFile(readOpt(dir, file));
    if (entries.length > 0) out[key] = entries;
  }
  return out;
}

export function blkioV1(dir: string | undefined): BlkioStats {
  const cfq = readOpt(dir, 'blkio.io_serviced_recursive');
  if (cfq !== undefined && cfq.trim() !== '' && parseBlkioFile(cfq).length > 0) return collect(dir, CFQ.map(([k, f]) => [k, `blkio.${f}`]));
  const bfq = readOpt(dir, 'blkio.bfq.io_serviced_recursive');
  if (bfq !== undefined && parseBlkioFile(bfq).length > 0) {
    return collect(dir, [
      ['ioServiceBytesRecursive', 'blkio.bfq.io_service_bytes_recursive'],
      ['ioServicedRecursive', 'blkio.bfq.io_serviced_recursive'],
    ]);
  }
  return collect(dir, [
    ['ioServiceBytesRecursive', 'blkio.throttle.io_service_bytes_recursive'],
    ['ioServicedRecursive', 'blkio.throttle.io_serviced_recursive'],
  ]);
}

export function blkioV2(dir: string | undefined): BlkioStats {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (readOpt(dir, 'io.stat') ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    if (!dev?.includes(':')) continue;
    const [major, minor] = dev.split(':');
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      const target = k === 'rbytes' || k === 'wbytes' ? bytes : k === 'rios' || k === 'wios' ? ios : undefined;
      if (!target) continue;
      target.push(omitEmpty({ major: u64(major), minor: u64(minor), op: k?.startsWith('r') ? 'Read' : 'Write', value: u64(v) } as Record<string, unknown>, ['major', 'minor', 'value']) as BlkioEntry);
    }
  }
  return omitEmpty({ ioServiceBytesRecursive: bytes, ioServicedRecursive: ios } as Record<string, unknown>, ['ioServiceBytesRecursive', 'ioServicedRecursive']) as BlkioStats;
}
