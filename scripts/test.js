// Runs the compiled tests with node's test runner: `node scripts/test.js [unit|integration|security|conformance|shim|supervisor|engines]...`.
// Integration and conformance tests need root; they skip with a stated reason otherwise.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'security', 'conformance', 'shim', 'supervisor', 'engines'];
const files = [];
function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
for (const tier of tiers) walk(join('dist', 'test', tier));
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
// Integration tests share host resources (cgroups, /run/tsrun): run files one at a time.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
