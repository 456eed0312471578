// Bad input through tsrund's API (fake shim): the right gRPC codes, messages naming the object, nothing
// half-created, and the daemon keeps serving.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { TsrundClient } from '../../../supervisor/src/client.js';
import { harness, rootfsDir, spec, type Harness } from './harness.js';

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  assert.fail('the call succeeded');
}

describe('tsrund bad input (fake shim)', () => {
  let h: Harness;
  let c: TsrundClient;
  before(async () => {
    h = await harness();
    c = h.client();
  });
  after(() => h.close());
  const create = (id: string, s = spec()) => c.containers.Create({ container: { id, spec: s, rootfs: { path: rootfsDir(h) } } });

  it('answers NotFound naming the object', async () => {
    let f = await failure(c.containers.Get({ id: 'nope' }));
    assert.equal(f.code, grpc.status.NOT_FOUND);
    assert.match(f.details, /container nope not found/);
    f = await failure(c.tasks.Start({ containerId: 'nope' }));
    assert.equal(f.code, grpc.status.NOT_FOUND);
    await create('notask');
    f = await failure(c.tasks.Kill({ containerId: 'notask', signal: 9 }));
    assert.equal(f.code, grpc.status.NOT_FOUND);
    assert.match(f.details, /task notask not found/);
    await c.containers.Delete({ id: 'notask' });
  });

  it('refuses ids with path characters, bad specs and rootfs', async () => {
    for (const id of ['../x', 'a/b', '', '.hidden', 'x'.repeat(77)]) {
      assert.equal((await failure(create(id))).code, grpc.status.INVALID_ARGUMENT, id);
    }
    assert.match((await failure(create('badjson', '{'))).details, /container badjson: spec is not JSON/);
    assert.equal((await failure(c.containers.Create({ container: { id: 'nofs', spec: spec() } }))).code, grpc.status.INVALID_ARGUMENT);
    assert.match((await failure(c.containers.Create({ container: { id: 'relfs', spec: spec(), rootfs: { path: 'rel' } } }))).details, /must be absolute/);
    assert.deepEqual((await c.containers.List({})).containers, []);
    assert.deepEqual(fs.readdirSync(path.join(h.dir, 'root', 'namespaces')).filter((n) => n !== 'default'), []);
  });

  it('answers AlreadyExists, and FailedPrecondition for Start twice and Delete of a running task', async () => {
    await create('twice');
    assert.equal((await failure(create('twice'))).code, grpc.status.ALREADY_EXISTS);
    await c.tasks.Create({ containerId: 'twice' });
    assert.equal((await failure(c.tasks.Create({ containerId: 'twice' }))).code, grpc.status.ALREADY_EXISTS);
    await c.tasks.Start({ containerId: 'twice' });
    assert.equal((await failure(c.tasks.Start({ containerId: 'twice' }))).code, grpc.status.FAILED_PRECONDITION);
    const f = await failure(c.tasks.Delete({ containerId: 'twice' }));
    assert.equal(f.code, grpc.status.FAILED_PRECONDITION);
    assert.match(f.details, /task twice is running/);
    assert.equal((await failure(c.containers.Delete({ id: 'twice' }))).code, grpc.status.FAILED_PRECONDITION);
    assert.equal((await failure(c.tasks.Kill({ containerId: 'twice', signal: 99 }))).code, grpc.status.INVALID_ARGUMENT);
    assert.equal((await failure(c.tasks.Exec({ containerId: 'twice', execId: 'e', spec: 'nope' }))).code, grpc.status.INVALID_ARGUMENT);
    await c.tasks.Kill({ containerId: 'twice', signal: 9 });
    await c.tasks.Delete({ containerId: 'twice' });
    await c.containers.Delete({ id: 'twice' });
  });

  it('passes the runtime\'s message for a spec it refuses and leaves nothing behind', async () => {
    await create('rejected', JSON.stringify({ ociVersion: '1.3.0', root: { path: 'rootfs' } }));
    const f = await failure(c.tasks.Create({ containerId: 'rejected' }));
    assert.equal(f.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(f.details, 'config.json: process: required to create a container');
    assert.deepEqual((await c.tasks.List({})).tasks, []);
    assert.equal(fs.existsSync(path.join(h.dir, 'state', 'bundles', 'default', 'rejected')), false);
    assert.equal([...h.launcher.shims.values()].some((x) => x.opts.id === 'rejected'), false, 'checked before any shim is started');
    await c.containers.Delete({ id: 'rejected' });
  });

  it('cleans up when the shim fails to create the container', async () => {
    await create('shimfails', spec(['fail-in-shim']));
    const f = await failure(c.tasks.Create({ containerId: 'shimfails' }));
    assert.equal(f.code, grpc.status.UNKNOWN);
    assert.equal(f.details, 'tsrun create: fail-in-shim: EPERM');
    assert.equal(fs.existsSync(path.join(h.dir, 'state', 'bundles', 'default', 'shimfails')), false);
    assert.equal(h.launcher.cleanups.at(-1)?.id, 'shimfails');
    assert.deepEqual((await c.tasks.List({})).tasks, []);
    await c.containers.Delete({ id: 'shimfails' });
  });

  it('answers malformed and oversized requests and keeps serving', async () => {
    const raw = new grpc.Client(`unix://${h.address}`, grpc.credentials.createInsecure());
    const call = (bytes: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        raw.makeUnaryRequest('/tsrund.v1.Containers/Get', (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err)),
      );
    const bad = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    assert.equal(bad?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad?.details ?? '', /malformed GetContainerRequest/);
    const big = await call(Buffer.concat([Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x01]), Buffer.alloc(2 * 1024 * 1024, 0x61)]));
    assert.equal(big?.code, grpc.status.RESOURCE_EXHAUSTED);
    raw.close();
    assert.equal((await c.version.Version({})).version, '0.1.0');
  });
});
