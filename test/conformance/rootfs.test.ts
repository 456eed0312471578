// Root filesystem, mounts, devices, masked and read-only paths (config.md "Mounts", config-linux.md "Devices"),
// checked from inside the container on every runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { type Bundle, makeBundle, mountsUnder, needRoot, rt } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

/** Mount options of the mount at `target` from a /proc/self/mountinfo text. */
function mountOpts(mountinfo: string, target: string): string[] | undefined {
  const line = mountinfo.split('\n').reverse().find((l) => l.split(' ')[4] === target);
  return line?.split(' ')[5]?.split(',');
}

for (const r of runtimes()) {
  describe(`rootfs and mounts: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const inside = (script: string, edit?: (s: Spec) => void, b?: Bundle): string => {
      const bundle = b ?? makeBundle(script, edit);
      if (!b) bundles.push(bundle);
      const res = rt(r, ['run', '-b', bundle.dir, uniqueId('fs')]);
      assert.equal(res.status, 0, `exit ${res.status}: ${res.err}`);
      return res.out;
    };

    it('pivots into the rootfs: / is the bundle rootfs, read-only when root.readonly', () => {
      const out = inside('ls /; cat /proc/self/mountinfo; touch /x 2>/dev/null && echo writable || echo readonly');
      assert.ok(out.includes('bin\n') && out.includes('etc\n'));
      assert.equal(mountOpts(out, '/')?.[0], 'ro');
      assert.ok(out.trim().endsWith('readonly'));
      const rw = inside('touch /x && echo writable', (s) => {
        if (s.root) s.root.readonly = false;
      });
      assert.equal(rw.trim(), 'writable');
    });

    it('mounts proc, sysfs, tmpfs, devpts, mqueue and cgroup with their options', () => {
      const out = inside('cat /proc/self/mountinfo');
      assert.deepEqual(mountOpts(out, '/dev')?.filter((o) => ['rw', 'nosuid'].includes(o)), ['rw', 'nosuid']);
      assert.ok(mountOpts(out, '/sys')?.includes('ro'));
      assert.ok(mountOpts(out, '/dev/shm')?.includes('nodev'));
      assert.ok(mountOpts(out, '/dev/pts'));
      assert.ok(mountOpts(out, '/dev/mqueue'));
      assert.ok(mountOpts(out, '/proc'));
      assert.ok(mountOpts(out, '/sys/fs/cgroup/memory')?.includes('ro'), 'cgroup hierarchies mounted read-only');
    });

    it('bind mounts files and directories, read-only when asked, and keeps the mount order', () => {
      const host = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bind-'));
      fs.writeFileSync(path.join(host, 'f'), 'from host\n');
      fs.mkdirSync(path.join(host, 'sub')); // a read-only bind cannot get new mount points
      try {
        const out = inside('cat /data/f; cat /single; echo x > /data/new 2>/dev/null && echo rw || echo ro; ls /data/sub', (s) => {
          s.mounts = [
            ...(s.mounts ?? []),
            { destination: '/data', type: 'bind', source: host, options: ['rbind', 'ro'] },
            { destination: '/single', type: 'bind', source: path.join(host, 'f'), options: ['bind'] },
            { destination: '/data/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
          ];
        });
        assert.deepEqual(out.trim().split('\n'), ['from host', 'from host', 'ro']);
        assert.deepEqual(fs.readdirSync(host).sort(), ['f', 'sub'], 'nothing written through the read-only bind; tmpfs mounted over /data/sub only inside');
      } finally {
        fs.rmSync(host, { recursive: true, force: true });
      }
    });

    it('creates the default devices and the /dev symlinks', () => {
      const out = inside('for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; echo hi > /dev/null && head -c 3 /dev/zero | od -An -tx1');
      const lines = out.trim().split('\n');
      assert.deepEqual(lines.slice(0, 6), [
        '/dev/null character special file 1:3 666', '/dev/zero character special file 1:5 666', '/dev/full character special file 1:7 666',
        '/dev/random character special file 1:8 666', '/dev/urandom character special file 1:9 666', '/dev/tty character special file 5:0 666',
      ]);
      assert.deepEqual(lines.slice(6, 11), ['/proc/self/fd', '/proc/self/fd/0', '/proc/self/fd/1', '/proc/self/fd/2', 'pts/ptmx']);
      assert.equal(lines[11]?.trim(), '00 00 00');
    });

    it('creates linux.devices with their mode and owner', () => {
      const out = inside('stat -c "%n %F %t:%T %a %u:%g" /dev/mydev /dev/fuse', (s) => {
        if (s.linux) s.linux.devices = [
          { path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1001 },
          { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 },
        ];
      });
      assert.deepEqual(out.trim().split('\n'), ['/dev/mydev character special file 1:3 640 1000:1001', '/dev/fuse character special file a:e5 666 0:0']);
    });

    it('masks paths and makes paths read-only', () => {
      const out = inside('cat /proc/kcore | wc -c; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/shmmni 2>/dev/null && echo rw || echo ro; cat /proc/self/mountinfo', (s) => {
        if (s.linux) {
          s.linux.maskedPaths = ['/proc/kcore', '/sys/firmware', '/does/not/exist'];
          s.linux.readonlyPaths = ['/proc/sys', '/nope'];
        }
      });
      const [kcore, firmware, sys] = out.trim().split('\n');
      assert.equal(kcore?.trim(), '0');
      assert.equal(firmware?.trim(), '0');
      assert.equal(sys, 'ro');
      assert.ok(mountOpts(out, '/proc/sys')?.includes('ro'));
    });

    it('resolves a mount destination through a symlink inside the rootfs, never outside it', () => {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-outside-'));
      try {
        // inside the container the tmpfs is found at <outside>/x: the absolute link resolved within the rootfs
        const b = makeBundle(`grep -c " ${outside}/x " /proc/self/mountinfo`, (s) => {
          s.mounts = [...(s.mounts ?? []), { destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' }];
        });
        bundles.push(b);
        fs.symlinkSync(outside, path.join(b.rootfs, 'evil'));
        assert.equal(inside('', undefined, b).trim(), '1');
        assert.deepEqual(fs.readdirSync(outside), [], 'the host directory got nothing');
        assert.equal(mountsUnder(outside).length, 0, 'no mount on the host directory');
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });
  });
}
