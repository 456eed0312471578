// 1,000 short execs through one shim: every exit recorded, no zombie left, and the shim's fds and memory do not
// grow with the number of execs (bounded growth after a warm-up, not a timing assertion).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { needRoot } from '../helpers/bundle.js';
import { type TestShim, execSpec, fdCount, memory, startShim, zombiesOf } from './helpers.js';

const TOTAL = 1000;
// As many as measured: Bun's shim JITs a function only after 10x JSC's default warm-up (bin/tsrun-shim), and the
// code that compiles is part of the binary's resident pages; the shim is in its steady state once it has run that.
const WARMUP = 1000;
const PARALLEL = 4;

describe('tsrun-shim under many execs', { skip: needRoot }, () => {
  const shims: TestShim[] = [];
  after(() => shims.forEach((s) => s.stop()));

  it(`${TOTAL} short execs: no zombie, no fd or memory growth`, { timeout: 900_000 }, async () => {
    const s = await startShim('sleep 100000');
    shims.push(s);
    const c = s.client;
    await c.create({ id: s.id, bundle: s.bundle.dir });
    await c.start({ id: s.id });
    let next = 0;
    const run = async (n: number) => {
      const execId = `e${n}`;
      await c.exec({ id: s.id, execId, spec: execSpec(['sh', '-c', `exit ${n % 7}`]) });
      await c.start({ id: s.id, execId });
      assert.equal((await c.wait({ id: s.id, execId })).exitStatus, n % 7);
      await c.delete({ id: s.id, execId });
    };
    const batch = async (upTo: number) => {
      const worker = async () => {
        while (next < upTo) await run(next++);
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
    };
    // The shim collects garbage 2 s after its last call (serve.ts): measure idle, not in the middle of a burst.
    const idle = () => new Promise((r) => setTimeout(r, 3000));
    await batch(WARMUP);
    await idle();
    const files0 = fs.readdirSync(s.stateDir).length;
    const fds0 = fdCount(s.pid);
    const mem0 = memory(s.pid);
    await batch(TOTAL);
    await idle();
    const fds1 = fdCount(s.pid);
    const mem1 = memory(s.pid);
    assert.deepEqual(zombiesOf(s.pid), [], 'no zombie children of the shim');
    assert.equal(fs.readdirSync(s.stateDir).length, files0, 'a deleted exec leaves no file in the state dir');
    assert.ok(fds1 <= fds0 + 2, `fds: ${fds0} after warm-up, ${fds1} after ${TOTAL}`);
    // The heap still breathes by a MB or two (JIT tiers); a leak of 5 kB per exec would show as 4.5 MB.
    assert.ok(mem1.rss - mem0.rss < 4 * 1024, `VmRSS: ${mem0.rss} kB after warm-up, ${mem1.rss} kB after ${TOTAL}`);
    assert.ok(mem1.anon - mem0.anon < 4 * 1024, `RssAnon: ${mem0.anon} kB after warm-up, ${mem1.anon} kB after ${TOTAL}`);
    // Pss also moves with the tsrun processes (same engine binary) that happen to run at each reading: reported only.
    console.log(`fds ${fds0} -> ${fds1}, VmRSS ${mem0.rss} -> ${mem1.rss} kB, RssAnon ${mem0.anon} -> ${mem1.anon} kB, Pss ${mem0.pss} -> ${mem1.pss} kB`);
    // Most of these execs exit before `tsrun exec` returns and the shim reads their pid: the parked-exit path.
    const early = fs.readFileSync(path.join(s.stateDir, 'shim.log'), 'utf8').split('before its pid file was read').length - 1;
    assert.ok(early > 0, 'some exits came before their pid was registered, and none was lost');
    console.log(`${early} of ${TOTAL} execs exited before their pid file was read`);
    const pids = await c.pids(s.id);
    assert.equal(pids.length, 1, 'only the init is left in the container');
    await c.kill({ id: s.id, signal: 9 });
    assert.equal((await c.wait({ id: s.id })).exitStatus, 137);
    await c.delete({ id: s.id });
  });
});
