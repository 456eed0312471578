// `node bench/shim-memory.js [--count N]` (npm run bench:shim-memory): the memory each shim costs per container,
// with N (default 50) idle busybox `sleep` containers under each of tsrun-shim (bin/tsrun-shim: Bun), conmon and
// containerd-shim-runc-v2, one group after the other in the same run. For each group, once all N run and a few
// seconds have passed: PSS and private dirty memory of every shim process (/proc/<pid>/smaps_rollup), averaged
// per container, and the ratio to containerd-shim-runc-v2's. PSS shares the pages of a binary among the processes
// that map it, so it falls as N grows: compare groups of the same N.
//
// This prints; it never asserts. Needs root, a build, runc, and for the other shims conmon and containerd (each
// missing one is reported and left out). Removes every container, shim, containerd state and cgroup it made.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPrerequisites } from './lib.js';
import { makeBundle, memoryOf, privateContainerd, sleep, startConmon, startTsrunShim, which } from './shim-lib.js';

const SETTLE_MS = 3000;
const ARGS = ['sleep', '1000000'];

function parseArgs(argv) {
  const o = { count: 50, engines: ['bun'] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--count') o.count = Number(argv[++i]);
    else if (argv[i] === '--node') o.engines.push('node');
    else {
      console.error('usage: node bench/shim-memory.js [--count N] [--node (tsrun-shim on Node too)]');
      process.exit(2);
    }
  }
  if (!Number.isInteger(o.count) || o.count < 1) {
    console.error('bench: --count needs a positive integer');
    process.exit(2);
  }
  return o;
}

const mb = (kb) => `${(kb / 1024).toFixed(2)} MB`;

function measure(name, pids, count) {
  let pss = 0;
  let privateDirty = 0;
  for (const pid of pids) {
    const m = memoryOf(pid);
    pss += m.pss;
    privateDirty += m.privateDirty;
  }
  return { name, processes: pids.length, pss: pss / count, privateDirty: privateDirty / count };
}

async function group(name, count, start) {
  const stops = [];
  try {
    process.stderr.write(`bench: ${name}: starting ${count} containers\n`);
    const pids = await start(stops);
    await sleep(SETTLE_MS);
    return measure(name, pids, count);
  } catch (e) {
    return { name, error: e.message };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e) => console.error(`bench: cleanup: ${e.message}`));
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  checkPrerequisites();
  const work = mkdtempSync(join(tmpdir(), 'tsrun-shimmem-'));
  const tag = `m${process.pid}`;
  const results = [];
  try {
    for (const engine of o.engines) {
      const env = { ...process.env, TSRUN_ENGINE: engine };
      results.push(await group(`tsrun-shim(${engine})`, o.count, async (stops) => {
        const pids = [];
        for (let i = 0; i < o.count; i++) {
          const id = `${tag}-ts${engine}-${i}`;
          const s = await startTsrunShim(work, id, makeBundle(work, join(work, id), ARGS), env);
          stops.push(s.stop);
          pids.push(s.pid);
        }
        return pids;
      }));
    }
    if (which('conmon')) {
      results.push(await group('conmon', o.count, async (stops) => {
        const pids = [];
        for (let i = 0; i < o.count; i++) {
          const id = `${tag}-cm-${i}`;
          const c = await startConmon(work, id, makeBundle(work, join(work, id), ARGS));
          stops.push(c.stop);
          c.start();
          pids.push(c.pid);
        }
        return pids;
      }));
    } else results.push({ name: 'conmon', error: 'not installed (apt-get install conmon)' });
    if (which('containerd') && which('ctr') && which('containerd-shim-runc-v2')) {
      results.push(await group('containerd-shim-runc-v2', o.count, async (stops) => {
        const d = await privateContainerd(work);
        stops.push(d.stop);
        for (let i = 0; i < o.count; i++) d.run(`${tag}-cd-${i}`, ARGS);
        return d.shimPids();
      }));
    } else results.push({ name: 'containerd-shim-runc-v2', error: 'not installed (apt-get install containerd)' });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const ref = results.find((r) => r.name === 'containerd-shim-runc-v2' && !r.error);
  console.log(`shim memory per container, ${o.count} idle busybox \`sleep\` containers per shim (PSS / private dirty from smaps_rollup)`);
  for (const r of results) {
    if (r.error) {
      console.log(`${r.name}: ${r.error}`);
      continue;
    }
    let line = `${r.name}: PSS ${mb(r.pss)}`;
    if (ref && r !== ref) line += ` (${(r.pss / ref.pss).toFixed(2)}x)`;
    line += `, private dirty ${mb(r.privateDirty)}`;
    if (ref && r !== ref) line += ` (${(r.privateDirty / ref.privateDirty).toFixed(2)}x)`;
    line += `, ${r.processes} shim processes`;
    console.log(line);
  }
  process.exitCode = results.some((r) => r.error && !/not installed/.test(r.error)) ? 1 : 0;
}

main();
