// tmpcopyup (runc's extension, which podman adds to its /tmp, /run and /var/tmp tmpfs mounts): the tmpfs starts
// with a copy of what the rootfs had at its destination; checked from inside the container on every runtime.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { type Bundle, makeBundle, mountsUnder, needRoot, rt } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

/** The mountinfo line of the mount at `target` (the last one: the one on top). */
function mountLine(mountinfo: string, target: string): { opts: string[]; fstype: string } | undefined {
  const line = mountinfo.split('\n').reverse().find((l) => l.split(' ')[4] === target);
  if (!line) return undefined;
  return { opts: line.split(' ')[5]?.split(',') ?? [], fstype: line.split(' - ')[1]?.split(' ')[0] ?? '' };
}

const T = 1_000_000_000; // 2001-09-09T01:46:40Z: a time no copy would produce by accident

/** rootfs/data: a file (0640, 1000:1001), a subdirectory with a file, a relative and an absolute symlink. */
function fillData(rootfs: string): string {
  const data = path.join(rootfs, 'data');
  fs.mkdirSync(path.join(data, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(data, 'f'), 'hello\n');
  fs.chmodSync(path.join(data, 'f'), 0o640);
  fs.chownSync(path.join(data, 'f'), 1000, 1001);
  fs.writeFileSync(path.join(data, 'sub', 'g'), 'deep\n');
  fs.chmodSync(path.join(data, 'sub', 'g'), 0o604);
  fs.symlinkSync('f', path.join(data, 'link'));
  fs.lchownSync(path.join(data, 'link'), 1002, 1003);
  fs.symlinkSync('/etc/hostname', path.join(data, 'abs'));
  fs.chmodSync(path.join(data, 'sub'), 0o750); // 0750: runc 1.1.5 creates directories under its umask (022)
  fs.chownSync(path.join(data, 'sub'), 1004, 1005);
  fs.utimesSync(path.join(data, 'f'), T, T);
  fs.utimesSync(path.join(data, 'sub'), T, T);
  return data;
}

for (const r of runtimes()) {
  describe(`tmpcopyup: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const bundle = (script: string, mounts: NonNullable<Spec['mounts']>): Bundle => {
      const b = makeBundle(script, (s) => {
        s.mounts = [...(s.mounts ?? []), ...mounts];
        // the copies belong to other users: root in the container reads and removes them with these
        const caps = s.process?.capabilities;
        if (caps) for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), 'CAP_DAC_OVERRIDE', 'CAP_FOWNER'];
      });
      bundles.push(b);
      return b;
    };
    const run = (b: Bundle): string => {
      const res = rt(r, ['run', '-b', b.dir, uniqueId('copyup')]);
      assert.equal(res.status, 0, `exit ${res.status}: ${res.err}`);
      return res.out;
    };

    it('starts the tmpfs with the rootfs content, owners, modes and symlinks; writes stay in the tmpfs', () => {
      const b = bundle(
        [
          'cat /proc/self/mountinfo; echo ===',
          'stat -c "%n %F %a %u:%g" /data/f /data/sub /data/sub/g /data/link /data/abs',
          'readlink /data/link; readlink /data/abs; cat /data/link /data/sub/g',
          'stat -c "%n %Y" /data/f /data/sub',
          'echo changed > /data/f && echo new > /data/new && rm /data/link /data/sub/g && echo written',
        ].join('; '),
        [{ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'nosuid', 'size=1m'] }],
      );
      const data = fillData(b.rootfs);
      const [mountinfo = '', out = ''] = run(b).split('===\n');
      assert.equal(mountLine(mountinfo, '/data')?.fstype, 'tmpfs');
      assert.ok(mountLine(mountinfo, '/data')?.opts.includes('nosuid'));
      const lines = out.trim().split('\n');
      assert.deepEqual(lines.slice(0, 5), [
        '/data/f regular file 640 1000:1001',
        '/data/sub directory 750 1004:1005',
        '/data/sub/g regular file 604 0:0',
        '/data/link symbolic link 777 1002:1003',
        '/data/abs symbolic link 777 0:0',
      ]);
      assert.deepEqual(lines.slice(5, 9), ['f', '/etc/hostname', 'hello', 'deep']);
      // tsrun keeps access and modification times; runc's copy (fileutils.CopyDirectory) does not
      if (r.name !== 'runc') assert.deepEqual(lines.slice(9, 11), [`/data/f ${T}`, `/data/sub ${T}`]);
      assert.equal(lines.at(-1), 'written');
      // the rootfs directory is as it was: every write went to the tmpfs, which went away with the container
      assert.deepEqual(fs.readdirSync(data).sort(), ['abs', 'f', 'link', 'sub']);
      assert.equal(fs.readFileSync(path.join(data, 'f'), 'utf8'), 'hello\n');
      assert.deepEqual(fs.readdirSync(path.join(data, 'sub')), ['g']);
      assert.equal(fs.readlinkSync(path.join(data, 'link')), 'f');
      assert.equal(mountsUnder(b.rootfs).length, 0, 'nothing mounted on the host');
    });

    it('creates a missing destination and mounts an empty tmpfs there', () => {
      const b = bundle(
        'cat /proc/self/mountinfo; echo ===; ls -A /made/here | wc -l; echo x > /made/here/y && cat /made/here/y',
        [{ destination: '/made/here', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] }],
      );
      const [mountinfo = '', out = ''] = run(b).split('===\n');
      assert.equal(mountLine(mountinfo, '/made/here')?.fstype, 'tmpfs');
      assert.deepEqual(out.trim().split('\n').map((l) => l.trim()), ['0', 'x']);
      assert.ok(fs.statSync(path.join(b.rootfs, 'made', 'here')).isDirectory());
      assert.deepEqual(fs.readdirSync(path.join(b.rootfs, 'made', 'here')), []);
    });

    it('makes a read-only tmpfs read-only after the copy', () => {
      const b = bundle(
        'cat /proc/self/mountinfo; echo ===; cat /data/f; touch /data/x 2>/dev/null && echo rw || echo ro',
        [{ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'ro'] }],
      );
      fillData(b.rootfs);
      const [mountinfo = '', out = ''] = run(b).split('===\n');
      assert.equal(mountLine(mountinfo, '/data')?.fstype, 'tmpfs');
      assert.ok(mountLine(mountinfo, '/data')?.opts.includes('ro'));
      assert.deepEqual(out.trim().split('\n'), ['hello', 'ro']);
    });

    it('copies fifos and device nodes and skips sockets', { skip: r.name === 'runc' && 'runc 1.1.5 fails on char devices, fifos and sockets: its copy creates none of them, then chowns the missing file (ENOENT)' }, () => {
      const b = bundle(
        'stat -c "%n %F %a %u:%g %t:%T" /run/fifo /run/null; ls -A /run',
        [{ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] }],
      );
      const run_ = path.join(b.rootfs, 'run');
      fs.mkdirSync(run_, { recursive: true });
      execFileSync('mkfifo', ['-m', '0620', path.join(run_, 'fifo')]);
      fs.chownSync(path.join(run_, 'fifo'), 1000, 1001);
      execFileSync('mknod', ['-m', '0666', path.join(run_, 'null'), 'c', '1', '3']);
      // a socket left behind by a server that is gone
      execFileSync(process.execPath, ['-e', 'require("net").createServer().listen(process.argv[1], () => process.exit(0))', path.join(run_, 'sock')]);
      assert.ok(fs.lstatSync(path.join(run_, 'sock')).isSocket());
      const lines = run(b).trim().split('\n');
      assert.deepEqual(lines, ['/run/fifo fifo 620 1000:1001 0:0', '/run/null character special file 666 0:0 1:3', 'fifo', 'null']);
    });

    it('refuses tmpcopyup on a mount that is not tmpfs', { skip: r.name === 'runc' && 'runc ignores tmpcopyup on other mount types' }, () => {
      const b = bundle('true', [{ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'tmpcopyup'] }]);
      const res = rt(r, ['run', '-b', b.dir, uniqueId('copyup')]);
      assert.notEqual(res.status, 0);
      assert.match(res.err, /config\.json: mounts\[\d+\]\.options: "tmpcopyup" is only valid for tmpfs/);
    });
  });
}
