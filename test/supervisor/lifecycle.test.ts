// tsrund end to end, as an engine uses it: real shims, real containers on the example busybox rootfs, through the
// gRPC API (the TypeScript client on the protos). Checked from the API and from the host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Msg, TsrundClient } from '../../supervisor/src/client.js';
import { alive } from '../helpers/bundle.js';
import { EXAMPLE_ROOTFS, TestDaemon, skipReason, spec, waitFor } from './daemon.js';

const skip = skipReason();

describe('tsrund lifecycle through gRPC', { skip, timeout: 120_000 }, () => {
  let d: TestDaemon;
  let c: TsrundClient;
  before(async () => {
    d = new TestDaemon();
    await d.start();
    c = d.client('life');
  });
  after(() => d?.cleanup());

  const create = (id: string, script: string, edit?: (s: Msg) => void) => c.containers.Create({ container: { id, spec: spec(script, edit), rootfs: { path: EXAMPLE_ROOTFS }, labels: { test: 'lifecycle' } } });

  it('creates, starts, execs, pauses, kills, waits and deletes, with events in order', async () => {
    const sub = c.subscribe();
    await sub.ready;
    const events: Msg[] = [];
    const reading = (async () => {
      for await (const ev of sub) {
        events.push(ev);
        if (ev.topic === '/containers/delete') return;
      }
    })();
    const out = path.join(d.dir, 'life.out');
    await create('life', 'echo started; exec sleep 1000');
    const { pid } = await c.tasks.Create({ containerId: 'life', stdio: { stdout: out } });
    assert.ok(pid > 0 && alive(pid), 'the init process exists after Create');
    assert.equal((await c.tasks.Get({ containerId: 'life' })).process.status, 1);
    await c.tasks.Start({ containerId: 'life' });
    assert.equal((await c.tasks.Get({ containerId: 'life' })).process.status, 2);
    // the container's cgroup is the namespace's: /tsrund/life/life
    const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    assert.match(cg, /\/tsrund\/life\/life/);
    await c.tasks.Exec({ containerId: 'life', execId: 'e1', spec: JSON.stringify({ args: ['sh', '-c', 'exit 5'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin:/sbin:/usr/bin'] }) });
    await c.tasks.Start({ containerId: 'life', execId: 'e1' });
    assert.equal((await c.tasks.Wait({ containerId: 'life', execId: 'e1' })).exitStatus, 5);
    assert.equal((await c.tasks.DeleteProcess({ containerId: 'life', execId: 'e1' })).exitStatus, 5);
    const pids = (await c.tasks.ListPids({ containerId: 'life' })).processes as Msg[];
    assert.ok(pids.some((p) => p.pid === pid));
    await c.tasks.Update({ containerId: 'life', resources: JSON.stringify({ pids: { limit: 50 } }) });
    const stats = JSON.parse((await c.tasks.Metrics({ containerId: 'life' })).stats);
    assert.ok(stats.pids?.current >= 1, JSON.stringify(stats).slice(0, 200));
    await c.tasks.Pause({ containerId: 'life' });
    assert.equal((await c.tasks.Get({ containerId: 'life' })).process.status, 4);
    assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /State:\s+[SD]/);
    await c.tasks.Resume({ containerId: 'life' });
    assert.equal((await c.tasks.Get({ containerId: 'life' })).process.status, 2);
    await c.tasks.Kill({ containerId: 'life', signal: 9 });
    const w = await c.tasks.Wait({ containerId: 'life' });
    assert.equal(w.exitStatus, 137);
    assert.ok(w.exitedAt > 0);
    assert.equal(alive(pid), false);
    const del = await c.tasks.Delete({ containerId: 'life' });
    assert.equal(del.exitStatus, 137);
    await c.containers.Delete({ id: 'life' });
    await reading;
    sub.close();
    assert.deepEqual(
      events.map((e) => `${e.topic}${e.execId ? ':' + e.execId : ''}`),
      ['/containers/create', '/tasks/create', '/tasks/start', '/tasks/exec-added:e1', '/tasks/exec-started:e1', '/tasks/exit:e1', '/tasks/paused', '/tasks/resumed', '/tasks/exit', '/tasks/delete', '/containers/delete'],
    );
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(events.find((e) => e.topic === '/tasks/exit' && !e.execId)?.exitStatus, 137);
    assert.deepEqual(d.cgroups(), []);
    assert.deepEqual(d.namespaceCgroups(), [], 'the namespace cgroup, once empty');
    assert.deepEqual(fs.readdirSync(path.join(d.state, 'bundles', 'life')), []);
    assert.deepEqual(fs.readdirSync(path.join(d.state, 'runtime', 'life')), []);
    assert.equal(fs.readFileSync(out, 'utf8'), 'started\n', 'stdout reached the file given as stdio.stdout');
  });

  it('records the exit code of a container that ends by itself', async () => {
    await create('ends', 'exit 42');
    await c.tasks.Create({ containerId: 'ends' });
    await c.tasks.Start({ containerId: 'ends' });
    assert.equal((await c.tasks.Wait({ containerId: 'ends' })).exitStatus, 42);
    const t = (await c.tasks.Get({ containerId: 'ends' })).process;
    assert.equal(t.status, 3);
    assert.equal(t.exitStatus, 42);
    assert.equal((await c.tasks.Delete({ containerId: 'ends' })).exitStatus, 42);
    await c.containers.Delete({ id: 'ends' });
  });

  it('mounts a rootfs given as mounts on the bundle, and unmounts it at delete', async () => {
    await c.containers.Create({ container: { id: 'mounted', spec: spec('test -x /bin/busybox && exit 9'), rootfs: { mounts: [{ type: 'none', source: EXAMPLE_ROOTFS, options: ['bind', 'ro'] }] } } });
    await c.tasks.Create({ containerId: 'mounted' });
    assert.deepEqual(d.mounts(), [path.join(d.state, 'bundles', 'life', 'mounted', 'rootfs')]);
    await c.tasks.Start({ containerId: 'mounted' });
    assert.equal((await c.tasks.Wait({ containerId: 'mounted' })).exitStatus, 9);
    await c.tasks.Delete({ containerId: 'mounted' });
    assert.deepEqual(d.mounts(), []);
    await c.containers.Delete({ id: 'mounted' });
  });

  it('keeps namespaces apart, even with the same container id', async () => {
    const a = d.client('tenant-a');
    const b = d.client('tenant-b');
    for (const x of [a, b]) await x.containers.Create({ container: { id: 'same', spec: spec('exec sleep 1000'), rootfs: { path: EXAMPLE_ROOTFS } } });
    const pa = (await a.tasks.Create({ containerId: 'same' })).pid;
    const pb = (await b.tasks.Create({ containerId: 'same' })).pid;
    assert.notEqual(pa, pb);
    await a.tasks.Start({ containerId: 'same' });
    assert.equal((await b.tasks.Get({ containerId: 'same' })).process.status, 1, "a's start does not touch b's task");
    assert.deepEqual((await c.containers.List({ filters: ['id==same'] })).containers, []);
    for (const x of [a, b]) {
      await x.tasks.Kill({ containerId: 'same', signal: 9 }).catch(() => undefined);
      await x.tasks.Wait({ containerId: 'same' });
      await x.tasks.Delete({ containerId: 'same' });
      await x.containers.Delete({ id: 'same' });
    }
    await waitFor('the cgroups to go', () => (d.cgroups().length === 0 ? true : undefined));
  });
});
