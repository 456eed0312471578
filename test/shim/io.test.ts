// The shim's stdio and log with real processes (io-scenarios.ts), on Node in this process and on Bun through
// io-driver.ts: 10 MB byte-exact through the log, several attach listeners, stdin EOF, FIFOs with and without a
// reader, files, rotation, bad paths.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REPO } from '../helpers/bundle.js';
import { scenarios } from './io-scenarios.js';

const BUN = path.join(REPO, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'io-driver.js');

type Result = Record<string, any>;

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function runScenario(engine: 'node' | 'bun', name: string): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-shimio-${engine}-`));
  dirs.push(dir);
  if (engine === 'node') return (scenarios[name] as (d: string) => Promise<Result>)(dir);
  const r = spawnSync(BUN, [DRIVER, name, dir], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `bun ${name}: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout) as Result;
}

for (const engine of ['node', 'bun'] as const) {
  describe(`shim stdio and log with real processes (${engine})`, { skip: engine === 'bun' && !fs.existsSync(BUN) ? 'Bun is not installed' : false, timeout: 180_000 }, () => {
    it('10 MB on stdout and 1 MB on stderr come back byte-exact from the log and to every attach listener', async () => {
      const r = await runScenario(engine, 'bigOutput');
      assert.equal(r.code, 0);
      assert.equal(r.outBytes, 10 * 1024 * 1024);
      assert.deepEqual(r.log, r.src, 'sha256 of the reassembled log = sha256 of what the process wrote');
      assert.equal(r.attached.length, 3);
      for (const a of r.attached) assert.deepEqual(a, r.src, 'each listener got the same bytes');
    });

    it('close-io after WriteStdin gives the process EOF; later writes are refused', async () => {
      const r = await runScenario(engine, 'stdinEof');
      assert.equal(r.code, 0);
      assert.equal(r.out, 'hello stdin <eof>\n');
      assert.match(r.after, /stdin is closed/);
    });

    it('stdin from a FIFO: writers may come and go, EOF only with close-io', async () => {
      const r = await runScenario(engine, 'stdinFifo');
      assert.equal(r.code, 0);
      assert.equal(r.out, 'first\nsecond\n<eof>\n');
    });

    it('stdin from a regular file', async () => {
      const r = await runScenario(engine, 'stdinFile');
      assert.equal(r.code, 0);
      assert.equal(r.out, 'from a file\n');
    });

    it('stdout to a FIFO with a reader and stderr to a file: both copies equal the log', async () => {
      const r = await runScenario(engine, 'fifoWithReader');
      assert.equal(r.code, 0);
      assert.equal(r.copy, r.log);
      assert.equal(r.err, 'to-stderr\n');
    });

    it('a FIFO nobody reads neither blocks the process nor loses a byte of the log', async () => {
      const r = await runScenario(engine, 'fifoWithoutReader');
      assert.equal(r.code, 0);
      assert.equal(r.log, r.src);
    });

    it('rotation keeps maxFiles old files holding the newest output in order', async () => {
      const r = await runScenario(engine, 'rotation');
      assert.equal(r.code, 0);
      assert.deepEqual(r.files, ['c.log.2', 'c.log.1', 'c.log']);
      for (const size of r.sizes) assert.ok(size <= 64 * 1024 + 70 * 1024, `file size ${size}: one chunk past maxSize at most`);
      assert.ok(r.suffix, 'what is kept is the end of the output');
      assert.ok(r.keptLines > 1000 && r.keptLines < 20000, `${r.keptLines} lines kept`);
    });

    it('bad paths: an error naming the path, no fd left open', async () => {
      const r = await runScenario(engine, 'badPaths');
      assert.equal(r.errors.length, 3);
      assert.match(r.errors[0], /ENOENT.*missing/);
      assert.match(r.errors[1], /ENOENT.*no\/such\/dir/);
      assert.match(r.errors[2], /ENOENT.*no\/such\/c\.log/);
      assert.equal(r.fdsLeft, 0);
    });
  });
}
