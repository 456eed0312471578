// Who can reach tsrund: its socket is root's only (0600), or root's and one group's with --group (0660).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { TSRUND, TestDaemon, skipReason } from './daemon.js';

const skip = skipReason();

function groupOf(name: string): number | undefined {
  const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  return line ? Number(line.split(':')[2]) : undefined;
}

describe('tsrund socket access', { skip, timeout: 60_000 }, () => {
  it('is 0600 root:root by default', async () => {
    const d = new TestDaemon();
    try {
      await d.start();
      const st = fs.statSync(d.address);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(st.uid, 0);
    } finally {
      await d.cleanup();
    }
  });

  it('is 0660 with the group given by --group', { skip: groupOf('daemon') === undefined ? 'no group "daemon"' : false }, async () => {
    const d = new TestDaemon(['--group', 'daemon']);
    try {
      await d.start();
      const st = fs.statSync(d.address);
      assert.equal(st.mode & 0o777, 0o660);
      assert.equal(st.gid, groupOf('daemon'));
    } finally {
      await d.cleanup();
    }
  });

  it('refuses an unknown group and a socket another daemon serves', async () => {
    const d = new TestDaemon(['--group', 'no-such-group-here']);
    try {
      await assert.rejects(d.start(), /--group no-such-group-here: no such group/);
    } finally {
      await d.cleanup();
    }
    const a = new TestDaemon();
    try {
      await a.start();
      const r = spawnSync(TSRUND, ['--address', a.address, '--root', `${a.dir}/root2`, '--state', `${a.dir}/state2`], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `tsrund: ${a.address}: another server is listening on this socket\n`);
      assert.equal((await a.client().version.Version({})).version, '0.1.0', 'the first daemon keeps serving');
    } finally {
      await a.cleanup();
    }
  });
});
