// process.terminal with --console-socket (runc's protocol: the pty master sent over SCM_RIGHTS), on every runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { listenConsole } from '../../runtime/src/linux/console.js';
import { makeBundle, needRoot, rt, readPty } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

for (const r of runtimes()) {
  describe(`console socket: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);

    it('sends the pty master; the program runs on the slave as its controlling terminal, with consoleSize', async () => {
      const b = makeBundle('tty; stty size; [ -t 0 ] && echo stdin-is-tty', (s) => {
        if (!s.process) return;
        s.process.terminal = true;
        s.process.consoleSize = { height: 30, width: 100 };
      });
      bundles.push(b);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-consock-'));
      const sock = path.join(dir, 'c.sock');
      const listener = listenConsole(sock);
      try {
        const c = uniqueId('tty');
        const master = listener.accept();
        const created = rt(r, ['create', '--console-socket', sock, '-b', b.dir, c]);
        assert.equal(created.status, 0, created.err);
        const fd = await master;
        const output = readPty(fd);
        assert.equal(rt(r, ['start', c]).status, 0);
        assert.equal((await output).replace(/\r/g, ''), '/dev/pts/0\n30 100\nstdin-is-tty\n');
        fs.closeSync(fd);
      } finally {
        listener.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a terminal without a console socket when detached', () => {
      const b = makeBundle('true', (s) => {
        if (s.process) s.process.terminal = true;
      });
      bundles.push(b);
      const c = uniqueId('notty');
      const res = rt(r, ['run', '-d', '-b', b.dir, c]);
      assert.notEqual(res.status, 0);
      assert.notEqual(rt(r, ['state', c]).status, 0, 'nothing left behind');
    });
  });
}
