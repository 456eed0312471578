// Socket activation: with LISTEN_FDS and LISTEN_PID naming tsrun itself, fds 3.. are passed to the container,
// which gets LISTEN_FDS=n and LISTEN_PID=1 (runc's behaviour); --preserve-fds counts after them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { type Bundle, TSRUN, makeBundle, needRoot, tsrunRuntime } from '../helpers/bundle.js';

describe('LISTEN_FDS', { skip: needRoot }, () => {
  const r = tsrunRuntime();
  const bundles: Bundle[] = [];
  after(() => {
    bundles.forEach((b) => b.remove());
    fs.rmSync(r.root, { recursive: true, force: true });
  });

  it('passes the activation fds and then the preserved ones, and sets LISTEN_FDS and LISTEN_PID', () => {
    const b = makeBundle('echo "$LISTEN_FDS $LISTEN_PID"; cat /proc/self/fd/3 /proc/self/fd/4; ls /proc/self/fd | sort | tr "\\n" " "');
    bundles.push(b);
    fs.writeFileSync(path.join(b.dir, 'a'), 'activation fd\n');
    fs.writeFileSync(path.join(b.dir, 'p'), 'preserved fd\n');
    // the shell execs tsrun, so $$ is tsrun's pid: LISTEN_PID names it as systemd would
    const script = `exec 3<"${b.dir}/a" 4<"${b.dir}/p"; LISTEN_FDS=1 LISTEN_PID=$$ exec "${TSRUN}" --root "${r.root}" run --preserve-fds 1 -b "${b.dir}" listen-${process.pid}`;
    const res = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, '1 1\nactivation fd\npreserved fd\n0 1 2 3 4 5 '); // 5: ls's own dir
  });
});
