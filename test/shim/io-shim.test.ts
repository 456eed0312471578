// stdio and logs through a real tsrun-shim and its client, on Bun and on Node: 10 MB byte-exact in the log and to two
// Attach streams at once, CloseIO giving a container's `cat` EOF, a terminal exec resized with ResizePty.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Output } from '../../shim/src/api.js';
import { readLog } from '../../shim/src/io/logread.js';
import { needRoot } from '../helpers/bundle.js';
import { type TestShim, startShim } from './helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MB = 1024 * 1024;

/** stdout and stderr of an Attach stream, until it ends (the process has exited and its output drained). */
async function collect(stream: AsyncGenerator<Output>): Promise<[Buffer, Buffer]> {
  const parts: [Buffer[], Buffer[]] = [[], []];
  for await (const o of stream) parts[o.stream === 1 ? 1 : 0].push(Buffer.from(o.data ?? []));
  return [Buffer.concat(parts[0]), Buffer.concat(parts[1])];
}

for (const engine of ['bun', 'node'] as const) {
  describe(`tsrun-shim stdio and log (${engine})`, { skip: needRoot, timeout: 180_000 }, () => {
    const shims: TestShim[] = [];
    after(() => shims.forEach((s) => s.stop()));
    const env = { ...process.env, TSRUN_ENGINE: engine };
    const writable = (s: { root?: { readonly?: boolean } }) => {
      if (s.root) s.root.readonly = false;
    };

    it('10 MB of output: byte-exact in the log and to two Attach streams', async () => {
      const s = await startShim(`head -c ${10 * MB} /dev/urandom | tee /out.src; echo to-stderr >&2`, writable, env);
      shims.push(s);
      await s.client.create({ id: s.id, bundle: s.bundle.dir });
      const attached = [collect(s.client.attach({ id: s.id })), collect(s.client.attach({ id: s.id }))];
      // both subscriptions are in before the output starts
      await new Promise((r) => setTimeout(r, 300));
      await s.client.start({ id: s.id });
      assert.equal((await s.client.wait({ id: s.id })).exitStatus, 0);
      const src = sha(fs.readFileSync(path.join(s.bundle.rootfs, 'out.src')));
      const state = await s.client.state({ id: s.id });
      const log = readLog(state.logPath || path.join(s.stateDir, `${s.id}.log`));
      assert.equal(log.stdout.length, 10 * MB);
      assert.equal(sha(log.stdout), src, 'the log reassembles to exactly what the container wrote');
      assert.equal(log.stderr.toString(), 'to-stderr\n');
      for (const a of await Promise.all(attached)) {
        assert.equal(sha(a[0]), src, 'each Attach stream got every stdout byte');
        assert.equal(a[1].toString(), 'to-stderr\n');
      }
    });

    it('WriteStdin then CloseIO: the container reads the bytes, then EOF, and exits', async () => {
      const s = await startShim('cat; echo " <eof>"', undefined, env);
      shims.push(s);
      await s.client.create({ id: s.id, bundle: s.bundle.dir, stdio: { stdin: '', stdout: '', stderr: '', terminal: false, openStdin: true } });
      await s.client.start({ id: s.id });
      await s.client.writeStdin({ id: s.id, data: Buffer.from('through the shim'), close: false });
      await s.client.closeIO({ id: s.id, stdin: true });
      assert.equal((await s.client.wait({ id: s.id })).exitStatus, 0);
      assert.equal(readLog(path.join(s.stateDir, `${s.id}.log`)).stdout.toString(), 'through the shim <eof>\n');
    });

    it('a terminal exec: ResizePty is what `stty size` sees; WriteStdin with close sends EOF', async () => {
      const s = await startShim('sleep 60', undefined, env);
      shims.push(s);
      await s.client.create({ id: s.id, bundle: s.bundle.dir });
      await s.client.start({ id: s.id });
      // the first size comes with the process (an exec runs as soon as `tsrun exec --detach` has made it)
      const spec = { args: ['sh', '-c', 'stty size; read x; stty size; cat; echo done'], cwd: '/', env: ['PATH=/bin'], terminal: true, consoleSize: { height: 30, width: 100 }, user: { uid: 0, gid: 0 } };
      await s.client.exec({ id: s.id, execId: 't1', spec: Buffer.from(JSON.stringify(spec)), stdio: { stdin: '', stdout: '', stderr: '', terminal: true, openStdin: true } });
      const out = collect(s.client.attach({ id: s.id, execId: 't1' }));
      await s.client.start({ id: s.id, execId: 't1' });
      const logFile = path.join(s.stateDir, 'exec-t1.log');
      const until = async (text: string) => {
        for (let i = 0; i < 200 && !(fs.existsSync(logFile) && readLog(logFile).stdout.toString().includes(text)); i++) await new Promise((r) => setTimeout(r, 50));
      };
      await until('30 100');
      await s.client.resizePty({ id: s.id, execId: 't1', width: 120, height: 40 });
      await s.client.writeStdin({ id: s.id, execId: 't1', data: Buffer.from('go\n'), close: false });
      await until('40 120');
      await s.client.writeStdin({ id: s.id, execId: 't1', data: Buffer.from('last\n'), close: true });
      assert.equal((await s.client.wait({ id: s.id, execId: 't1' })).exitStatus, 0);
      const expected = '30 100\r\ngo\r\n40 120\r\nlast\r\nlast\r\ndone\r\n';
      assert.equal(readLog(logFile).stdout.toString(), expected);
      assert.equal((await out)[0].toString(), expected);
    });
  });
}
