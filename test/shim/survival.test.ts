// What survives what: a client (the supervisor's stand-in) killed -9 leaves shim and container running and misses
// no exit; a shim killed -9 takes its container along, and `tsrun-shim delete` leaves nothing behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Status } from '../../shim/src/api.js';
import { ShimClient } from '../../shim/src/client.js';
import { readLog } from '../../shim/src/io/index.js';
import { alive, needRoot, procCgroups, rt, tsrunRuntime } from '../helpers/bundle.js';
import { type TestShim, eventsUntil, execSpec, gone, startShim, zombiesOf } from './helpers.js';

const SUBSCRIBER = fileURLToPath(new URL('./subscriber.js', import.meta.url));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await ok()) return;
  assert.fail(`timed out waiting for ${what}`);
}

describe('tsrun-shim survival', { skip: needRoot }, () => {
  const shims: TestShim[] = [];
  after(() => shims.forEach((s) => s.stop()));

  it('a client killed -9 mid-output: shim and container run on, the exit is replayed on reconnect', async () => {
    const s = await startShim('i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.05; done; exit 7');
    shims.push(s);
    await s.client.create({ id: s.id, bundle: s.bundle.dir });
    const sub = spawn(process.execPath, [SUBSCRIBER, s.address], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = '';
    const started = new Promise<void>((resolve) => sub.stdout.on('data', (d) => ((seen += d), / \/tasks\/start /.test(seen) && resolve())));
    const { pid } = await s.client.start({ id: s.id });
    await started;
    sub.kill('SIGKILL');
    await new Promise((r) => sub.once('exit', r));
    const lastSeq = BigInt(seen.trim().split('\n').at(-1)?.split(' ')[0] ?? '0');
    assert.ok(lastSeq >= 2n);
    assert.ok(alive(s.pid) && !gone(pid), 'shim and container still run');
    // Wait for the exit without a subscription, so that it can only reach us by replay.
    await until('the container to exit', async () => (await s.client.state({ id: s.id })).status === Status.STOPPED);
    s.client.close();
    const again = await ShimClient.connect(s.address);
    try {
      const missed = await eventsUntil(again, (e) => e.topic === '/tasks/exit', lastSeq);
      assert.equal(missed[0]?.seq, lastSeq + 1n, 'replay starts right after the last seq seen');
      assert.equal(missed.at(-1)?.exitStatus, 7);
      assert.equal((await again.wait({ id: s.id })).exitStatus, 7);
      const log = readLog((await again.state({ id: s.id })).logPath);
      assert.equal(log.stdout.toString(), Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join(''), 'no byte of the log lost');
      await again.delete({ id: s.id });
    } finally {
      again.close();
    }
  });

  it('a shim killed -9 takes its container and execs along; tsrun-shim delete leaves nothing', async () => {
    const s = await startShim('sleep 1000');
    shims.push(s);
    const { pid } = await s.client.create({ id: s.id, bundle: s.bundle.dir });
    await s.client.start({ id: s.id });
    await s.client.exec({ id: s.id, execId: 'x', spec: execSpec(['sleep', '1000']) });
    const exec = await s.client.start({ id: s.id, execId: 'x' });
    assert.equal(fs.readFileSync(`/proc/${exec.pid}/status`, 'utf8').match(/^PPid:\s+(\d+)/m)?.[1], String(s.pid), 'the shim is the exec\'s parent');
    const cgroups = procCgroups(pid)
      .map((l) => l.split(':'))
      .filter(([, ctl, p]) => ctl === 'memory' || ctl === 'pids' || (ctl === '' && p !== '/'))
      .map(([, ctl, p]) => path.join('/sys/fs/cgroup', ctl === '' ? 'unified' : (ctl as string), p as string));
    assert.ok(cgroups.length > 0 && cgroups.every((d) => fs.existsSync(d)));

    process.kill(s.pid, 'SIGKILL');
    await until('the container and its exec to die', () => gone(pid) && gone(exec.pid));

    const out = JSON.parse(s.stop()) as { exitStatus: number; pid: number };
    assert.equal(out.exitStatus, 137, 'no exit was recorded: reported as killed');
    assert.equal(out.pid, pid);
    assert.ok(!fs.existsSync(s.stateDir), 'state dir removed');
    assert.ok(!fs.existsSync(path.join(s.bundle.dir, 'shim.address')));
    for (const d of cgroups) assert.ok(!fs.existsSync(d), `${d} removed`);
    assert.equal(rt(tsrunRuntime(s.runtimeRoot), ['list', '-q']).out.trim(), '', 'the runtime knows no container');
    assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(s.bundle.dir), 'no mounts left');
  });

  it('without a pid namespace, the init\'s exit takes the container\'s other processes along, and they are reaped', async () => {
    const s = await startShim('sleep 1000 & sleep 1000 & exec sleep 1001', (spec) => {
      if (spec.linux) spec.linux.namespaces = (spec.linux.namespaces ?? []).filter((n) => n.type !== 'pid');
      if (spec.process) spec.process.terminal = false;
    });
    shims.push(s);
    const { pid } = await s.client.create({ id: s.id, bundle: s.bundle.dir });
    await s.client.start({ id: s.id });
    await until('the background sleeps', async () => (await s.client.pids(s.id)).length === 3);
    const others = (await s.client.pids(s.id)).map((p) => p.pid).filter((p) => p !== pid);
    process.kill(pid, 'SIGKILL');
    assert.equal((await s.client.wait({ id: s.id })).exitStatus, 137);
    await until('the other processes to be gone', () => others.every((p) => !fs.existsSync(`/proc/${p}`)));
    assert.deepEqual(zombiesOf(s.pid), []);
    await s.client.delete({ id: s.id });
  });
});
