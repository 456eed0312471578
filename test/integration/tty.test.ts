// tsrun run of a terminal container in the foreground without --console-socket: tsrun receives the pty master
// itself and copies its output (runc does the same, but needs a controlling terminal of its own for it).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { makeBundle, needRoot, rt, tsrunRuntime, type Bundle } from '../helpers/bundle.js';

describe('run with a terminal in the foreground', { skip: needRoot }, () => {
  const r = tsrunRuntime();
  const bundles: Bundle[] = [];
  after(() => bundles.forEach((b) => b.remove()));

  for (const engine of ['bun', 'node'] as const) {
    it(`copies the container's terminal output and passes the exit code (${engine})`, () => {
      const b = makeBundle('tty; stty size; exit 5', (s) => {
        if (!s.process) return;
        s.process.terminal = true;
        s.process.consoleSize = { height: 24, width: 80 };
      });
      bundles.push(b);
      const res = rt({ ...r, env: { ...process.env, TSRUN_ENGINE: engine } }, ['run', '-b', b.dir, `tty-${engine}-${process.pid}`]);
      assert.equal(res.status, 5, res.err);
      assert.equal(res.out, '/dev/pts/0\r\n24 80\r\n');
    });
  }
});
