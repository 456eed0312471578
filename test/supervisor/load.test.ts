// 100 containers created, started, waited for and deleted concurrently through the API: no error, every exit code
// right, and nothing left: tsrund's fds, shims, cgroups, mounts, state and metadata files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TsrundClient } from '../../supervisor/src/client.js';
import { EXAMPLE_ROOTFS, TestDaemon, skipReason, spec } from './daemon.js';

const skip = skipReason();
const NS = 'load';
const N = 100;

const fds = (pid: number): string[] => fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
  try {
    return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return '';
  }
}).filter(Boolean).sort();

const files = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String) : []);

describe(`tsrund with ${N} containers at once`, { skip, timeout: 600_000 }, () => {
  let d: TestDaemon;
  let c: TsrundClient;
  before(async () => {
    d = new TestDaemon();
    await d.start();
    c = d.client(NS);
  });
  after(() => d?.cleanup());

  it('runs them all and leaks nothing', async () => {
    // one container first, so that everything lazily opened for the first one is open before counting
    const one = async (id: string, code: number) => {
      await c.containers.Create({ container: { id, spec: spec(`exit ${code}`), rootfs: { path: EXAMPLE_ROOTFS }, labels: { batch: 'load' } } });
      await c.tasks.Create({ containerId: id });
      await c.tasks.Start({ containerId: id });
      const w = await c.tasks.Wait({ containerId: id });
      const del = await c.tasks.Delete({ containerId: id });
      await c.containers.Delete({ id });
      return [w.exitStatus as number, del.exitStatus as number];
    };
    assert.deepEqual(await one('warm', 1), [1, 1]);
    const pid = d.proc?.pid as number;
    const before = fds(pid);

    const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => one(`c${i}`, i % 100)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`c${i}: ${(r.reason as Error).message}`] : []));
    assert.deepEqual(failed, []);
    results.forEach((r, i) => assert.deepEqual((r as PromiseFulfilledResult<number[]>).value, [i % 100, i % 100], `c${i}`));

    assert.deepEqual((await c.containers.List({})).containers, []);
    assert.deepEqual((await c.tasks.List({})).tasks, []);
    assert.deepEqual(fds(pid), before, "tsrund's open files");
    assert.deepEqual(d.ourProcesses(), [], 'shims or container processes');
    assert.deepEqual(d.cgroups(), []);
    assert.deepEqual(d.namespaceCgroups(), [], 'the namespace cgroup, once empty');
    assert.deepEqual(d.mounts(), []);
    for (const dir of ['bundles', 'shims', 'runtime']) assert.deepEqual(files(path.join(d.state, dir, NS)), [], `${dir}/${NS}`);
    assert.deepEqual(files(path.join(d.root, 'namespaces', NS, 'containers')), []);
  });
});
