// process.* and namespaces, checked from inside the container and from the host, on every runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { hostNs, makeBundle, needRoot, rt } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

for (const r of runtimes()) {
  describe(`process and namespaces: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    /** Runs script in a fresh container and returns stdout; fails the test on a non-zero exit. */
    const inside = (script: string, edit?: (s: Spec) => void): string => {
      const b = makeBundle(script, edit);
      bundles.push(b);
      const res = rt(r, ['run', '-b', b.dir, uniqueId('proc')]);
      assert.equal(res.status, 0, `exit ${res.status}: ${res.err}`);
      return res.out;
    };
    const status = (out: string, field: string) => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(out)?.[1];

    it('runs as the configured user with groups, umask, cwd and env', () => {
      const out = inside('id -u; id -g; id -G; umask; pwd; echo "$FOO"; echo "$HOME"', (s) => {
        if (!s.process) return;
        s.process.user = { uid: 1000, gid: 1000, additionalGids: [1001, 5], umask: 0o027 };
        s.process.cwd = '/tmp';
        s.process.env = [...(s.process.env ?? []), 'FOO=bar baz'];
      });
      // the kernel keeps supplementary groups sorted
      assert.deepEqual(out.split('\n').slice(0, 7), ['1000', '1000', '1000 5 1001', '0027', '/tmp', 'bar baz', '/home']);
    });

    it('applies capabilities, no_new_privs, and reports no seccomp filter when none is given', () => {
      const out = inside('cat /proc/self/status', (s) => {
        if (!s.process) return;
        s.process.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'], effective: ['CAP_KILL', 'CAP_CHOWN'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_CHOWN'], ambient: ['CAP_CHOWN'] };
        s.process.noNewPrivileges = true;
      });
      assert.equal(status(out, 'CapBnd'), (1n << 5n | 1n << 0n | 1n << 13n).toString(16).padStart(16, '0'));
      assert.equal(status(out, 'CapEff'), (1n << 5n | 1n << 0n).toString(16).padStart(16, '0'));
      assert.equal(status(out, 'CapPrm'), (1n << 5n | 1n << 0n).toString(16).padStart(16, '0'));
      assert.equal(status(out, 'CapInh'), '0000000000000001');
      assert.equal(status(out, 'CapAmb'), '0000000000000001');
      assert.equal(status(out, 'NoNewPrivs'), '1');
      assert.equal(status(out, 'Seccomp'), '0');
    });

    it('a non-root user keeps capabilities across exec only through the ambient set', () => {
      const caps = (ambient: boolean) => (s: Spec) => {
        if (!s.process) return;
        s.process.user = { uid: 1000, gid: 1000 };
        const kill = ['CAP_KILL'];
        s.process.capabilities = { bounding: kill, effective: kill, permitted: kill, inheritable: kill, ...(ambient ? { ambient: kill } : {}) };
        s.process.noNewPrivileges = false;
      };
      // execve as non-root clears permitted and effective sets except for what is ambient (capabilities(7))
      assert.equal(status(inside('cat /proc/self/status', caps(false)), 'CapEff'), '0000000000000000');
      const out = inside('cat /proc/self/status', caps(true));
      assert.equal(status(out, 'CapEff'), '0000000000000020');
      assert.equal(status(out, 'CapAmb'), '0000000000000020');
      assert.equal(status(out, 'NoNewPrivs'), '0');
      assert.match(status(out, 'Uid') ?? '', /^1000\s+1000\s+1000\s+1000$/);
    });

    it('sets rlimits', () => {
      const out = inside('ulimit -n; ulimit -Hn; ulimit -c', (s) => {
        if (s.process) s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 }, { type: 'RLIMIT_CORE', soft: 4096, hard: 4096 }];
      });
      assert.deepEqual(out.trim().split('\n'), ['512', '1000', '8']); // busybox prints RLIMIT_CORE in 512-byte blocks
    });

    it('creates the configured namespaces and shares the others with the host', () => {
      const out = inside('for n in pid net ipc uts mnt cgroup user; do echo "$n $(readlink /proc/self/ns/$n)"; done', (s) => {
        if (s.linux) s.linux.namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
      });
      const ns = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ') as [string, string]));
      for (const n of ['pid', 'ipc', 'uts', 'mnt']) assert.notEqual(ns[n], hostNs(n), `${n} is new`);
      for (const n of ['net', 'cgroup', 'user']) assert.equal(ns[n], hostNs(n), `${n} is shared`);
    });

    it('runs as pid 1 with its own hostname and domainname', () => {
      // runc 1.1 predates the domainname field (spec 1.1) and ignores it: a deliberate difference.
      const domain = r.name !== 'runc';
      const out = inside('echo $$; hostname; cat /proc/sys/kernel/domainname', (s) => {
        s.hostname = 'box-1';
        if (domain) s.domainname = 'example.test';
      });
      assert.deepEqual(out.trim().split('\n'), ['1', 'box-1', domain ? 'example.test' : '(none)']);
    });

    it('writes sysctls in the container namespaces', () => {
      const out = inside('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni', (s) => {
        if (s.linux) s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234' };
      });
      assert.deepEqual(out.trim().split('\n'), ['1', '1234']);
    });

    it('closes every fd but stdio, and keeps --preserve-fds', () => {
      assert.deepEqual(inside('ls /proc/self/fd').trim().split('\n').sort(), ['0', '1', '2', '3']); // 3: ls's own dir
      const b = makeBundle('cat /proc/self/fd/3; ls /proc/self/fd | sort');
      bundles.push(b);
      fs.writeFileSync(`${b.dir}/extra`, 'kept fd\n');
      const fd = fs.openSync(`${b.dir}/extra`, 'r');
      try {
        const res = rt(r, ['run', '--preserve-fds', '1', '-b', b.dir, uniqueId('fds')], { extraFds: [fd] });
        assert.equal(res.status, 0, res.err);
        assert.deepEqual(res.out.trim().split('\n'), ['kept fd', '0', '1', '2', '3', '4']); // 4: ls's own dir
      } finally {
        fs.closeSync(fd);
      }
    });

    it('maps users in a new user namespace', () => {
      const b = makeBundle('id -u; id -g; cat /proc/self/uid_map', (s) => {
        if (!s.linux) return;
        s.linux.namespaces = [...(s.linux.namespaces ?? []).filter((n) => n.type !== 'cgroup'), { type: 'user' }];
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.mounts = (s.mounts ?? []).filter((m) => m.type !== 'cgroup' && m.type !== 'sysfs');
      });
      bundles.push(b);
      fs.chmodSync(b.dir, 0o755);
      const res = rt(r, ['run', '-b', b.dir, uniqueId('userns')]);
      assert.equal(res.status, 0, res.err);
      const [uid, gid, map] = res.out.trim().split('\n');
      assert.equal(uid, '0');
      assert.equal(gid, '0');
      assert.match(map ?? '', /^\s*0\s+100000\s+65536$/);
    });
  });
}
