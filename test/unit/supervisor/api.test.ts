// tsrund's gRPC API against a fake shim: lifecycle, events, namespaces, errors. No root needed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Msg, TsrundClient } from '../../../supervisor/src/client.js';
import { harness, rootfsDir, spec, type Harness } from './harness.js';

const code = async (p: Promise<unknown>): Promise<{ code: number; details: string }> => {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  assert.fail('the call succeeded');
};

describe('tsrund API (fake shim)', () => {
  let h: Harness;
  let c: TsrundClient;
  before(async () => {
    h = await harness();
    c = h.client();
  });
  after(() => h.close());

  const create = (id: string, cl = c, extra: Msg = {}) => cl.containers.Create({ container: { id, spec: spec(), rootfs: { path: rootfsDir(h) }, ...extra } });

  it('runs a whole lifecycle and publishes its events in order', async () => {
    const sub = c.subscribe();
    await sub.ready;
    const got: Msg[] = [];
    const reading = (async () => {
      for await (const ev of sub) {
        got.push(ev);
        if (ev.topic === '/containers/delete') break;
      }
    })();
    await create('life', c, { labels: { app: 'web' } });
    const t = await c.tasks.Create({ containerId: 'life', stdio: { stdout: '/dev/null' } });
    assert.ok(t.pid > 0);
    assert.equal((await c.tasks.Get({ containerId: 'life' })).process.status, 1);
    assert.equal((await c.tasks.Start({ containerId: 'life' })).pid, t.pid);
    assert.equal((await c.tasks.Get({ containerId: 'life' })).process.status, 2);
    assert.deepEqual((await c.tasks.List({})).tasks.map((x: Msg) => x.containerId), ['life']);
    await c.tasks.Exec({ containerId: 'life', execId: 'e1', spec: JSON.stringify({ args: ['sh'], cwd: '/' }) });
    await c.tasks.Start({ containerId: 'life', execId: 'e1' });
    assert.equal((await c.tasks.ListPids({ containerId: 'life' })).processes.length, 2);
    await c.tasks.Pause({ containerId: 'life' });
    await c.tasks.Resume({ containerId: 'life' });
    assert.match((await c.tasks.Metrics({ containerId: 'life' })).stats, /pids/);
    await c.tasks.Kill({ containerId: 'life', execId: 'e1', signal: 15 });
    assert.equal((await c.tasks.Wait({ containerId: 'life', execId: 'e1' })).exitStatus, 143);
    assert.equal((await c.tasks.DeleteProcess({ containerId: 'life', execId: 'e1' })).exitStatus, 143);
    const waiting = c.tasks.Wait({ containerId: 'life' });
    await c.tasks.Kill({ containerId: 'life', signal: 9 });
    assert.equal((await waiting).exitStatus, 137);
    assert.equal((await c.tasks.Delete({ containerId: 'life' })).exitStatus, 137);
    await c.containers.Delete({ id: 'life' });
    await reading;
    sub.close();
    assert.deepEqual(
      got.map((e) => `${e.topic}${e.execId ? ':' + e.execId : ''}`),
      ['/containers/create', '/tasks/create', '/tasks/start', '/tasks/exec-added:e1', '/tasks/exec-started:e1', '/tasks/paused', '/tasks/resumed', '/tasks/exit:e1', '/tasks/exit', '/tasks/delete', '/containers/delete'],
    );
    const seqs = got.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.ok(got.every((e) => e.timestamp > 0 && e.containerId === 'life'));
    assert.equal(fs.existsSync(path.join(h.dir, 'state', 'bundles', 'default', 'life')), false);
  });

  it('filters events by topic', async () => {
    const sub = c.subscribe(['/tasks/start', '/containers/']);
    await sub.ready;
    await create('topics');
    await c.tasks.Create({ containerId: 'topics' });
    await c.tasks.Start({ containerId: 'topics' });
    const got: string[] = [];
    for await (const ev of sub) {
      got.push(ev.topic);
      if (got.length === 2) break;
    }
    sub.close();
    assert.deepEqual(got, ['/containers/create', '/tasks/start']);
    await c.tasks.Kill({ containerId: 'topics', signal: 9 });
    await c.tasks.Delete({ containerId: 'topics' });
    await c.containers.Delete({ id: 'topics' });
  });

  it('gets, lists with filters and updates containers', async () => {
    await create('f1', c, { labels: { tier: 'a', x: '1' } });
    await create('f2', c, { labels: { tier: 'b' } });
    const ids = async (filters: string[]) => (await c.containers.List({ filters })).containers.map((x: Msg) => x.id);
    assert.deepEqual(await ids([]), ['f1', 'f2']);
    assert.deepEqual(await ids(['labels.tier==a']), ['f1']);
    assert.deepEqual(await ids(['labels.x']), ['f1']);
    assert.deepEqual(await ids(['id==f2', 'labels.tier==a']), ['f1', 'f2']);
    assert.deepEqual(await ids(['id!=f1,labels.tier']), ['f2']);
    assert.equal((await code(ids(['bogus==1']))).code, grpc.status.INVALID_ARGUMENT);
    const u = await c.containers.Update({ container: { id: 'f1', labels: { y: '2' } }, updateMask: ['labels.y', 'labels.x'] });
    assert.deepEqual(u.container.labels, { tier: 'a', y: '2' });
    const got = (await c.containers.Get({ id: 'f1' })).container;
    assert.deepEqual(got.labels, { tier: 'a', y: '2' });
    assert.ok(got.updatedAt >= got.createdAt);
    await c.containers.Delete({ id: 'f1' });
    await c.containers.Delete({ id: 'f2' });
  });

  it('keeps namespaces apart', async () => {
    const a = h.client('tenant-a');
    const b = h.client('tenant-b');
    const subB = b.subscribe();
    await subB.ready;
    await create('shared', a);
    await create('shared', b);
    await a.tasks.Create({ containerId: 'shared' });
    assert.equal((await a.containers.List({})).containers.length, 1);
    assert.deepEqual((await b.tasks.List({})).tasks, []);
    assert.equal((await code(b.tasks.Start({ containerId: 'shared' }))).code, grpc.status.NOT_FOUND);
    assert.equal((await code(c.containers.Get({ id: 'shared' }))).code, grpc.status.NOT_FOUND);
    assert.deepEqual((await c.namespaces.List({})).namespaces, ['tenant-a', 'tenant-b']);
    await b.containers.Delete({ id: 'shared' });
    const first = await subB[Symbol.asyncIterator]().next();
    assert.equal(first.value.topic, '/containers/create');
    const second = await subB[Symbol.asyncIterator]().next();
    assert.equal(second.value.topic, '/containers/delete', 'tenant-b sees none of tenant-a\'s task events');
    subB.close();
    await a.tasks.Delete({ containerId: 'shared' });
    await a.containers.Delete({ id: 'shared' });
    assert.equal((await code(h.client('../etc').containers.List({}))).code, grpc.status.INVALID_ARGUMENT);
    assert.equal((await code(h.client('a/b').subscribe().ready)).code, grpc.status.INVALID_ARGUMENT);
  });
});
