// The runtimes the conformance tests run against: CONFORMANCE_RUNTIMES=tsrun,tsrun-node,runc (default: all three,
// tsrun on Bun, tsrun on Node, and Debian's runc when installed). Every test here must pass on each; where runc
// deliberately differs, the test says so.
import * as fs from 'node:fs';
import { RUNC, type Runtime, runcRuntime, tsrunRuntime } from '../helpers/bundle.js';

export function runtimes(): Runtime[] {
  const wanted = (process.env.CONFORMANCE_RUNTIMES ?? 'tsrun,tsrun-node,runc').split(',').map((s) => s.trim());
  const out: Runtime[] = [];
  if (wanted.includes('tsrun')) out.push(tsrunRuntime());
  if (wanted.includes('tsrun-node')) out.push(tsrunRuntime(undefined, 'node'));
  if (wanted.includes('runc') && fs.existsSync(RUNC)) out.push(runcRuntime());
  return out;
}

let n = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++n}`;
}
