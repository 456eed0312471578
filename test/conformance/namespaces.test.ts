// Joining namespaces by path, time namespaces with offsets, --no-pivot and the session keyring.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { makeBundle, needRoot, rt, stateOf } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

for (const r of runtimes()) {
  describe(`namespaces by path, time, no-pivot: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const run = (script: string, edit?: (s: Spec) => void, args: string[] = []) => {
      const b = makeBundle(script, edit);
      bundles.push(b);
      const res = rt(r, ['run', ...args, '-b', b.dir, uniqueId('ns')]);
      assert.equal(res.status, 0, `exit ${res.status}: ${res.err}`);
      return res.out;
    };

    it("joins another container's namespaces by path", () => {
      const b = makeBundle('sleep 1000', (s) => {
        s.hostname = 'first';
      });
      bundles.push(b);
      const first = uniqueId('first');
      assert.equal(rt(r, ['run', '-d', '-b', b.dir, first]).status, 0);
      const pid = stateOf(r, first).pid;
      const ns = (n: string) => fs.readlinkSync(`/proc/${pid}/ns/${n}`);
      const out = run('hostname; for n in uts net ipc pid; do readlink /proc/self/ns/$n; done', (s) => {
        delete s.hostname;
        if (s.linux) s.linux.namespaces = [
          { type: 'mount' },
          { type: 'uts', path: `/proc/${pid}/ns/uts` },
          { type: 'network', path: `/proc/${pid}/ns/net` },
          { type: 'ipc', path: `/proc/${pid}/ns/ipc` },
          { type: 'pid', path: `/proc/${pid}/ns/pid` },
        ];
      });
      assert.deepEqual(out.trim().split('\n'), ['first', ns('uts'), ns('net'), ns('ipc'), ns('pid')]);
    });

    it('--no-pivot changes root with MS_MOVE and chroot', () => {
      assert.match(run('ls /; cat /proc/self/mountinfo', undefined, ['--no-pivot']), /^bin$/m);
    });

    it('joins a new session keyring unless --no-new-keyring', () => {
      const unmaskKeys = (s: Spec) => {
        if (s.linux) s.linux.maskedPaths = (s.linux.maskedPaths ?? []).filter((p) => p !== '/proc/keys');
      };
      const keyring = (args: string[]) => {
        const id = uniqueId('key');
        const b = makeBundle(`grep -c "_ses.${id}:" /proc/keys || true`, unmaskKeys);
        bundles.push(b);
        const res = rt(r, ['run', ...args, '-b', b.dir, id]);
        assert.equal(res.status, 0, res.err);
        return res.out.trim();
      };
      assert.equal(keyring([]), '1');
      assert.equal(keyring(['--no-new-keyring']), '0');
    });

    it('creates a time namespace with offsets', { skip: r.name === 'runc' ? 'runc 1.1 predates time namespaces' : false }, () => {
      const host = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const out = run('cat /proc/uptime', (s) => {
        if (!s.linux) return;
        s.linux.namespaces = [...(s.linux.namespaces ?? []), { type: 'time' }];
        s.linux.timeOffsets = { boottime: { secs: 86400 * 10, nanosecs: 0 } };
      });
      const inside = Number(out.split(' ')[0]);
      assert.ok(inside - host > 86400 * 10 - 60, `uptime inside ${inside}, host ${host}`);
    });
  });
}
