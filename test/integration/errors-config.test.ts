// Bad input in the bundle: the spec's bad fixtures, the bundle and rootfs, namespaces, mounts, the program.
// Each case: one-line error naming what was wrong, non-zero exit, nothing left behind (helpers/errors.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { needRoot, rt, stateOf } from '../helpers/bundle.js';
import { FIXTURES, assertNothingLeft, begin, bundle, containers, createFails, esc, inside, oneLineError, readOr, runtime, tmpdir, tsrun, uniq } from '../helpers/errors.js';

describe('tsrun errors: bad bundles and configs', { skip: needRoot }, () => {
  describe('config fixtures from the OCI runtime-spec (bad/)', () => {
    // The field each fixture breaks; a fixture added later must at least name config.json.
    const expected: Record<string, RegExp> = {
      'freebsd-vnet-disable.json': /^config\.json: freebsd\.jail\.vnet: /,
      'invalid-json.json': /^config\.json: .*JSON/i,
      'linux-hugepage.json': /^config\.json: linux\.resources\.hugepageLimits\[0\]\.pageSize: /,
      'linux-netdevice.json': /^config\.json: linux\.netDevices\.eth0\.name: /,
      'linux-rdma.json': /^config\.json: linux\.resources\.rdma\.mlx5_1\.hcaHandles: /,
    };
    const fixtures = needRoot ? [] : fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
    for (const f of fixtures) {
      test(f, async () => {
        const b = bundle();
        fs.copyFileSync(path.join(FIXTURES, f), path.join(b.dir, 'config.json'));
        // The fixture has no cgroupsPath: the default (<own cgroup>/<id>) is what must not exist.
        await createFails({ dir: b.dir }, [expected[f] ?? /^config\.json: /]);
      });
    }
  });

  describe('the bundle', () => {
    test('a missing bundle dir', async () => {
      const dir = path.join(os.tmpdir(), `tsrun-err-nobundle-${uniq()}`);
      await createFails({ dir }, [new RegExp(`bundle.*${esc(dir)}.*(no such|does not exist|ENOENT)`, 'i')]);
      assert.ok(!fs.existsSync(dir), `${dir} was created`);
    });

    test('a bundle without config.json', async () => {
      const b = bundle();
      fs.rmSync(path.join(b.dir, 'config.json'));
      await createFails(b, [/config\.json.*(no such file|does not exist|ENOENT)/i]);
    });

    test('a missing rootfs (root.path points nowhere)', async () => {
      const b = bundle((s) => {
        s.root = { path: 'nowhere' };
      });
      await createFails(b, [/^config\.json: root\.path: /, new RegExp(`${esc(path.join(b.dir, 'nowhere'))}.*(no such|does not exist|ENOENT)`, 'i')]);
    });

    test('malformed JSON', async () => {
      const b = bundle();
      fs.writeFileSync(path.join(b.dir, 'config.json'), '{"ociVersion": "1.0.2", "root": {"path": "rootfs"},');
      await createFails(b, [/^config\.json: .*JSON/i]);
    });
  });

  describe('namespaces', () => {
    test('an unknown namespace type', async () => {
      const b = bundle((s) => {
        s.linux?.namespaces?.push({ type: 'nope' } as never);
      });
      const n = (b.spec.linux?.namespaces?.length ?? 0) - 1;
      await createFails(b, [new RegExp(`^config\\.json: linux\\.namespaces\\[${n}\\]\\.type: `)]);
    });

    test('duplicate namespaces', async () => {
      const b = bundle((s) => {
        s.linux?.namespaces?.push({ type: 'pid' });
      });
      await createFails(b, [/^config\.json: linux\.namespaces.*: .*duplicate.*pid/]);
    });

    test('hostname without a uts namespace', async () => {
      const b = bundle((s) => {
        if (s.linux?.namespaces) s.linux.namespaces = s.linux.namespaces.filter((ns) => ns.type !== 'uts');
        s.hostname = 'nouts';
      });
      await createFails(b, [/^config\.json: hostname: .*uts/]);
    });

    test('SELinux and AppArmor labels on a host without them', async () => {
      await createFails(bundle((s) => {
        if (s.linux) s.linux.mountLabel = 'system_u:object_r:container_file_t:s0';
      }), [/^config\.json: linux\.mountLabel: SELinux is not enabled on this host$/]);
      await createFails(bundle((s) => {
        if (s.process) s.process.selinuxLabel = 'system_u:system_r:container_t:s0';
      }), [/^config\.json: process\.selinuxLabel: SELinux is not enabled on this host$/]);
      await createFails(bundle((s) => {
        if (s.process) s.process.apparmorProfile = 'docker-default';
      }), [/^config\.json: process\.apparmorProfile: AppArmor is not enabled on this host$/]);
    });
  });

  describe('mounts', () => {
    test('a destination that is a symlink out of the rootfs lands inside the rootfs, never on the host', async (t) => {
      const hostDir = tmpdir('tsrun-err-evil-');
      const name = path.basename(hostDir);
      const b = bundle((s) => {
        s.mounts = [...(s.mounts ?? []), { destination: '/evil', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }];
      }, 'echo pwned > /evil/pwned; ls /evil');
      fs.symlinkSync(hostDir, path.join(b.rootfs, 'evil'));
      const r = runtime();
      const id = `err-${uniq()}`;
      const c = begin(r, id, b);
      const hostMounted = (): string[] => readOr('/proc/self/mountinfo').split('\n').filter((l) => inside(l.split(' ')[4] ?? '', hostDir));
      const res = tsrun(c, ['create', '-b', b.dir, id]);
      if (res.status !== 0) {
        // failing cleanly is allowed
        t.diagnostic(`create failed: ${oneLineError(res, /evil/)}`);
        await assertNothingLeft(c);
      } else {
        containers.push({ r, id });
        t.diagnostic('create succeeded');
        const st = stateOf(r, id);
        assert.equal(st.status, 'created');
        const inContainer = readOr(`/proc/${st.pid}/mountinfo`).split('\n').map((l) => l.split(' '));
        const points = inContainer.map((f) => f[4]);
        assert.ok(points.includes(`/tmp/${name}`), `the tmpfs should be at /tmp/${name} inside the rootfs; container mounts: ${JSON.stringify(points)}`);
        assert.ok(!points.includes('/evil'), 'nothing may be mounted over the symlink itself');
        assert.ok(fs.statSync(path.join(b.rootfs, 'tmp', name)).isDirectory(), 'mount point made inside the rootfs');
        assert.deepEqual(hostMounted(), [], `host ${hostDir} got a mount`);
        assert.deepEqual(fs.readdirSync(hostDir), [], `host ${hostDir} is not empty`);
        // Run the program, which writes through /evil: the write must stay in the container's tmpfs.
        const started = rt(r, ['start', id]);
        assert.equal(started.status, 0, started.err);
        for (let i = 0; i < 100 && stateOf(r, id).status !== 'stopped'; i++) await sleep(50);
        assert.equal(stateOf(r, id).status, 'stopped');
        assert.deepEqual(fs.readdirSync(hostDir), [], `host ${hostDir} is not empty after the container wrote to /evil`);
        assert.deepEqual(hostMounted(), [], `host ${hostDir} got a mount`);
        const del = rt(r, ['delete', id]);
        assert.equal(del.status, 0, del.err);
        await assertNothingLeft(c);
      }
      assert.deepEqual(hostMounted(), [], `host ${hostDir} got a mount`);
      assert.deepEqual(fs.readdirSync(hostDir), [], `host ${hostDir} is not empty`);
    });

    test('a bind mount whose source does not exist', async () => {
      const src = path.join(os.tmpdir(), `tsrun-err-nosrc-${uniq()}`);
      const b = bundle((s) => {
        s.mounts = [...(s.mounts ?? []), { destination: '/mnt', type: 'bind', source: src, options: ['rbind'] }];
      });
      const i = (b.spec.mounts?.length ?? 0) - 1;
      await createFails(b, [new RegExp(`mounts\\[${i}\\]`), new RegExp(`${esc(src)}.*(no such|does not exist|ENOENT)`, 'i')]);
      assert.ok(!fs.existsSync(src), `${src} was created`);
    });

    test('an unknown filesystem type fails in the native stage with ENODEV', async () => {
      const dest = `/mnt/nosuch-${uniq()}`;
      const b = bundle((s) => {
        s.mounts = [...(s.mounts ?? []), { destination: dest, type: 'nosuchfs', source: 'none' }];
      });
      await createFails(b, [/mount/, new RegExp(esc(dest)), /ENODEV/]);
    });
  });

  describe('the program', () => {
    test('an absolute path that does not exist', async () => {
      const b = bundle((s) => {
        if (s.process) s.process.args = ['/nope'];
      });
      await createFails(b, [/exec: "\/nope"/, /ENOENT|no such file/i]);
    });

    test('a name not found in $PATH', async () => {
      const b = bundle((s) => {
        if (s.process) s.process.args = ['nope'];
      });
      await createFails(b, [/exec: "nope": executable file not found in \$PATH/]);
    });
  });
});
