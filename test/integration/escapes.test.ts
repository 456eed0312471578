// Regression tests for known runc escapes that tsrun must make impossible by design.
// CVE-2024-21626: a host fd leaked into the init let `cwd: /proc/self/fd/N` put the container's process in a host
// directory. Nothing but stdio may be open in the container, and a cwd outside the root is refused.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { type Bundle, makeBundle, needRoot, rt, tsrunRuntime } from '../helpers/bundle.js';

describe('CVE-2024-21626: no host fd and no cwd outside the root', { skip: needRoot }, () => {
  const r = tsrunRuntime();
  const bundles: Bundle[] = [];
  after(() => {
    for (const id of rt(r, ['list', '-q']).out.split('\n').filter(Boolean)) rt(r, ['delete', '-f', id]);
    bundles.forEach((b) => b.remove());
    fs.rmSync(r.root, { recursive: true, force: true });
  });

  it('the container process holds no fd but stdio', () => {
    const b = makeBundle('for f in /proc/self/fd/*; do echo "$f $(readlink $f)"; done');
    bundles.push(b);
    const res = rt(r, ['run', '-b', b.dir, `fds-${process.pid}`]);
    assert.equal(res.status, 0, res.err);
    const fds = res.out.trim().split('\n').map((l) => l.split(' ')[0]?.replace('/proc/self/fd/', ''));
    // 0-2 are stdio; the shell's glob opened one more directory fd while listing
    assert.ok(fds.length <= 4 && fds.slice(0, 3).join(',') === '0,1,2', res.out);
  });

  it('a cwd of /proc/self/fd/N never starts the program in a directory outside the root', () => {
    for (let n = 3; n <= 12; n++) {
      const b = makeBundle('pwd; ls /proc/self/cwd/ | head -3');
      b.spec.process!.cwd = `/proc/self/fd/${n}`;
      b.write();
      bundles.push(b);
      const res = rt(r, ['run', '-b', b.dir, `cwd-${process.pid}-${n}`]);
      // Either refused (no such fd, not a directory, or outside the root), or a directory inside the container.
      if (res.status === 0) assert.match(res.out, /^\/[^\n]*\n/, `fd ${n}: ${res.out}`);
      else assert.match(res.err, /^tsrun: chdir to \/proc\/self\/fd\/\d+ \(process\.cwd\): [^\n]+\n$/, `fd ${n}: ${res.err}`);
    }
  });
});
