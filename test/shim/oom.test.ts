// A container that outgrows its memory limit is OOM-killed: the shim publishes /tasks/oom and State says so.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { needRoot } from '../helpers/bundle.js';
import { type TestShim, eventsUntil, startShim } from './helpers.js';

/** A 32 MiB memory limit, swap included. */
const limit32MiB: Parameters<typeof startShim>[1] = (spec) => {
  spec.linux = { ...spec.linux, resources: { ...spec.linux?.resources, memory: { limit: 32 << 20, swap: 32 << 20 } } };
};

describe('tsrun-shim OOM', { skip: needRoot }, () => {
  const shims: TestShim[] = [];
  after(() => shims.forEach((s) => s.stop()));

  it('reports an OOM-killed container', async () => {
    // tail keeps the current line in memory, and /dev/zero has no newline.
    const s = await startShim('exec tail /dev/zero', limit32MiB);
    shims.push(s);
    await s.client.create({ id: s.id, bundle: s.bundle.dir });
    assert.equal((await s.client.state({ id: s.id })).oomKilled, false);
    await s.client.start({ id: s.id });
    const exit = await s.client.wait({ id: s.id });
    assert.equal(exit.exitStatus, 137, 'killed by SIGKILL');
    const events = await eventsUntil(s.client, (e) => e.topic === '/tasks/exit');
    assert.ok(events.some((e) => e.topic === '/tasks/oom'), `events: ${events.map((e) => e.topic).join(', ')}`);
    assert.equal((await s.client.state({ id: s.id })).oomKilled, true);
    await s.client.delete({ id: s.id });
  });

  it('reports an OOM kill of a process other than init while the container runs (the watch, not the exit)', async () => {
    const s = await startShim('tail /dev/zero; exec sleep 1000', limit32MiB);
    shims.push(s);
    await s.client.create({ id: s.id, bundle: s.bundle.dir });
    await s.client.start({ id: s.id });
    const events = await eventsUntil(s.client, (e) => e.topic === '/tasks/oom' || e.topic === '/tasks/exit');
    assert.equal(events.at(-1)?.topic, '/tasks/oom', `events: ${events.map((e) => e.topic).join(', ')}`);
    const st = await s.client.state({ id: s.id });
    assert.deepEqual([st.status, st.oomKilled], [2, true], 'still running, and OOM-killed says so');
    await s.client.kill({ id: s.id, signal: 9 });
    assert.equal((await s.client.wait({ id: s.id })).exitStatus, 137);
    await s.client.delete({ id: s.id });
  });

  it('a container that exits within its limit is not reported as OOM-killed', async () => {
    const s = await startShim('exit 0', limit32MiB);
    shims.push(s);
    await s.client.create({ id: s.id, bundle: s.bundle.dir });
    await s.client.start({ id: s.id });
    assert.equal((await s.client.wait({ id: s.id })).exitStatus, 0);
    assert.equal((await s.client.state({ id: s.id })).oomKilled, false);
    await s.client.delete({ id: s.id });
    const events = await eventsUntil(s.client, (e) => e.topic === '/tasks/delete');
    assert.ok(!events.some((e) => e.topic === '/tasks/oom'), 'no OOM event, even when the cgroup is removed');
  });
});
