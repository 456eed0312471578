// tsrund restarts (fake shims that outlive it): running tasks are taken up again, exits that happened meanwhile
// are recorded and published, vanished shims are cleaned up, metadata is all still there.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Msg } from '../../../supervisor/src/client.js';
import { harness, rootfsDir, spec, type Harness } from './harness.js';

describe('tsrund restart (fake shim)', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('reattaches, replays missed exits and cleans up vanished shims', async () => {
    let c = h.client();
    for (const id of ['run', 'exits', 'vanish', 'done']) {
      await c.containers.Create({ container: { id, spec: spec(), rootfs: { path: rootfsDir(h) }, labels: { id } } });
      await c.tasks.Create({ containerId: id });
      await c.tasks.Start({ containerId: id });
    }
    await c.containers.Create({ container: { id: 'meta-only', spec: spec(), rootfs: { path: rootfsDir(h) } } });
    h.launcher.shim('done').exit('', 3);
    await c.tasks.Wait({ containerId: 'done' });
    await h.daemon.stop();
    // while tsrund is down: one task exits, one shim disappears, a half-made bundle is left
    h.launcher.shim('exits').exit('', 42);
    h.launcher.shim('vanish').vanish();
    fs.mkdirSync(path.join(h.dir, 'state', 'bundles', 'default', 'half'), { recursive: true });

    await h.restart();
    assert.deepEqual(h.daemon.restored.reattached.sort(), ['default/done', 'default/exits', 'default/run']);
    assert.deepEqual(h.daemon.restored.reaped, ['default/vanish']);
    assert.deepEqual(h.daemon.restored.discarded, ['default/half']);
    c = h.client();
    const sub = c.subscribe(['/tasks/']);
    await sub.ready;
    const ids = (await c.containers.List({})).containers.map((x: Msg) => x.id);
    assert.deepEqual(ids, ['done', 'exits', 'meta-only', 'run', 'vanish']);
    const st = async (id: string) => (await c.tasks.Get({ containerId: id })).process;
    assert.equal((await st('run')).status, 2);
    assert.equal((await st('exits')).exitStatus, 42);
    assert.equal((await st('done')).exitStatus, 3);
    assert.equal((await c.tasks.Get({ containerId: 'vanish' }).catch((e) => e)).code, 5);
    assert.equal(fs.existsSync(path.join(h.dir, 'state', 'bundles', 'default', 'half')), false);

    // the exit of 'exits' was published by the new daemon before any subscriber: it is recorded, and the
    // replayed journal does not publish it twice
    const rec = JSON.parse(fs.readFileSync(path.join(h.dir, 'state', 'bundles', 'default', 'exits', 'task.json'), 'utf8'));
    assert.equal(rec.exit.status, 42);
    await c.tasks.Kill({ containerId: 'run', signal: 9 });
    const got: string[] = [];
    for await (const ev of sub) {
      got.push(`${ev.containerId}${ev.topic}`);
      if (ev.containerId === 'run') break;
    }
    sub.close();
    assert.deepEqual(got, ['run/tasks/exit']);
    for (const id of ['run', 'exits', 'done']) await c.tasks.Delete({ containerId: id });
  });

  it('publishes the exits it missed, for a subscriber that asks for the kept events', async () => {
    const c = h.client();
    await c.containers.Create({ container: { id: 'late', spec: spec(), rootfs: { path: rootfsDir(h) } } });
    await c.tasks.Create({ containerId: 'late' });
    const sub0 = c.subscribe();
    await sub0.ready;
    await c.tasks.Start({ containerId: 'late' });
    const it0 = sub0[Symbol.asyncIterator]();
    const lastSeen = (await it0.next()).value.seq as number;
    sub0.close();
    await h.daemon.stop();
    h.launcher.shim('late').exit('', 7);
    await h.restart();
    const sub = c.subscribe([], lastSeen);
    const ev = (await sub[Symbol.asyncIterator]().next()).value;
    sub.close();
    assert.equal(ev.topic, '/tasks/exit');
    assert.equal(ev.exitStatus, 7);
    assert.ok(ev.seq > lastSeen);
    assert.equal((await c.tasks.Wait({ containerId: 'late' })).exitStatus, 7);
    await c.tasks.Delete({ containerId: 'late' });
  });
});
