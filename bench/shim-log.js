// `node bench/shim-log.js [--mb N] [--runs N]` (npm run bench:shim-log): log throughput through the shim: a busybox
// container writes N MB (default 200) to stdout and the shim logs it (CRI format), for tsrun-shim (bin/tsrun-shim:
// Bun) and conmon (k8s-file log, runc as its runtime) in the same run, interleaved. Two workloads: lines of 100
// bytes (`yes | head -c`), and bytes without a newline (`head -c /dev/zero`: one entry per read).
//
// Time: from the start request (Start through the shim's client; `runc start` for conmon) until the shim has
// recorded the exit, which both do only after the last output has been logged (tsrun-shim's Wait; conmon's exit
// file). MB/s = N / time. The log's size is checked so a shim that drops output cannot look fast.
//
// This prints; it never asserts on timings. Needs root, a build, runc and conmon (without conmon only tsrun-shim).
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPrerequisites, median } from './lib.js';
import { makeBundle, sleep, startConmon, startTsrunShim, which } from './shim-lib.js';

const LINE = '0123456789'.repeat(10).slice(0, 99);

function parseArgs(argv) {
  const o = { mb: 200, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    if (argv[i] === '--mb' && v > 0) o.mb = v;
    else if (argv[i] === '--runs' && Number.isInteger(v) && v > 0) o.runs = v;
    else {
      console.error('usage: node bench/shim-log.js [--mb N] [--runs N]');
      process.exit(2);
    }
    i++;
  }
  return o;
}

async function tsrunShim(work, id, script, bytes) {
  const s = await startTsrunShim(work, id, makeBundle(work, join(work, id), ['sh', '-c', script]), process.env, false);
  try {
    const t0 = process.hrtime.bigint();
    await s.client.start({ id });
    const exit = await s.client.wait({ id });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (exit.exitStatus !== 0) throw new Error(`${id} exited ${exit.exitStatus}`);
    return { ms, logBytes: fs.statSync(s.log).size, bytes };
  } finally {
    await s.stop();
  }
}

async function conmon(work, id, script, bytes) {
  const c = await startConmon(work, id, makeBundle(work, join(work, id), ['sh', '-c', script]));
  try {
    const t0 = process.hrtime.bigint();
    c.start();
    while (!fs.existsSync(c.exitFile)) await sleep(2);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, logBytes: fs.statSync(c.log).size, bytes };
  } finally {
    await c.stop();
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  checkPrerequisites();
  const bytes = Math.round(o.mb * 1024 * 1024);
  const workloads = [
    { name: `lines of 100 bytes`, script: `yes ${LINE} | head -c ${bytes}`, minLog: bytes },
    { name: `no newlines`, script: `head -c ${bytes} /dev/zero`, minLog: bytes },
  ];
  const shims = [{ name: 'tsrun-shim(bun)', run: tsrunShim }];
  if (which('conmon')) shims.push({ name: 'conmon', run: conmon });
  else console.log('conmon: not installed (apt-get install conmon)');
  const work = fs.mkdtempSync(join(tmpdir(), 'tsrun-shimlog-'));
  const samples = new Map();
  let failed = false;
  let n = 0;
  try {
    for (let round = 0; round < o.runs; round++) {
      for (const w of workloads) {
        for (const s of shims) {
          const id = `l${process.pid}-${n++}`;
          const key = `${w.name}|${s.name}`;
          try {
            const r = await s.run(work, id, w.script, bytes);
            if (r.logBytes < w.minLog) throw new Error(`log holds ${r.logBytes} bytes, fewer than the ${bytes} written`);
            samples.set(key, [...(samples.get(key) ?? []), bytes / 1048576 / (r.ms / 1000)]);
          } catch (e) {
            failed = true;
            console.error(`bench: ${s.name}, ${w.name}: ${e.message}`);
          }
          fs.rmSync(join(work, id), { recursive: true, force: true });
        }
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`log throughput: a container writes ${o.mb} MB to stdout; median of ${o.runs} interleaved runs (MB/s, higher is better)`);
  for (const w of workloads) {
    const ref = samples.get(`${w.name}|conmon`);
    const refMed = ref ? median([...ref].sort((a, b) => a - b)) : undefined;
    for (const s of shims) {
      const v = samples.get(`${w.name}|${s.name}`);
      if (!v) continue;
      const med = median([...v].sort((a, b) => a - b));
      const ratio = refMed && s.name !== 'conmon' ? ` (${(med / refMed).toFixed(2)}x conmon)` : '';
      console.log(`${w.name}: ${s.name} ${med.toFixed(0)} MB/s${ratio}, runs ${v.map((x) => x.toFixed(0)).join(' ')}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

main();
