// A terminal container's stdio through the shim's io (tsrun create --console-socket, as the shim runs it), on
// Node in this process and on Bun through io-driver.ts: initial size, resize seen by `stty size` inside, stdin,
// close-io's EOF character ending `cat`, output in the log and to the attach listener.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REPO, needRoot } from '../helpers/bundle.js';
import { scenarios } from './io-scenarios.js';

const BUN = path.join(REPO, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'io-driver.js');
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const EXPECTED = '30 100\r\nhello\r\ngot:hello\r\ngo\r\n40 120\r\nmore\r\nmore\r\nafter-eof\r\n';

for (const engine of ['node', 'bun'] as const) {
  const skip = needRoot || (engine === 'bun' && !fs.existsSync(BUN) ? 'Bun is not installed' : false);
  describe(`shim stdio of a terminal container (${engine})`, { skip, timeout: 120_000 }, () => {
    it('sizes, resizes, writes stdin, sends EOF on close-io, logs everything', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-shimtty-${engine}-`));
      dirs.push(dir);
      let r: Record<string, string>;
      if (engine === 'node') r = (await (scenarios.ttyContainer as (d: string) => Promise<Record<string, unknown>>)(dir)) as Record<string, string>;
      else {
        const p = spawnSync(BUN, [DRIVER, 'ttyContainer', dir], { encoding: 'utf8', timeout: 100_000 });
        assert.equal(p.status, 0, p.stderr);
        r = JSON.parse(p.stdout);
      }
      assert.equal(r.attached, EXPECTED);
      assert.equal(r.log, EXPECTED, 'the log has the terminal output as stdout');
      assert.equal(r.state, 'stopped');
    });
  });
}
