// The runtimes the conformance tests run against: CONFORMANCE_RUNTIMES=tsrun,tsrun-node,runc (default: all three,
// tsrun on Bun, tsrun on Node, and Debian's runc when installed). Every test here must pass on each; where runc
// deliberately differs, the test says so.
import * as fs from 'node:fs';
import { after } from 'node:test';
import { type Bundle, RUNC, type Runtime, forceDelete, rt, runcRuntime, tsrunRuntime } from '../helpers/bundle.js';

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

/**
 * Per-suite cleanup: bundles pushed to the returned list are removed, and every container left in the runtime's
 * private state root (a failed test, a run that never got to delete) is force-deleted, after the suite.
 */
export function cleanup(r: Runtime): { bundles: Bundle[] } {
  const bundles: Bundle[] = [];
  after(() => {
    for (const id of rt(r, ['list', '-q']).out.split('\n').filter(Boolean)) forceDelete(r, id);
    for (const b of bundles) b.remove();
    fs.rmSync(r.root, { recursive: true, force: true });
  });
  return { bundles };
}
