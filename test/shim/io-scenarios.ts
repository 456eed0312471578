// Scenarios for the shim's stdio (shim/src/io) with real processes: each opens a ProcessIO, spawns a process with
// its RuntimeStdio as the shim spawns the runtime, and returns plain data for the test to check. They run in the
// test's own Node, and on Bun through io-driver.ts (the engine the shim runs on).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openProcessIO, logFiles, readLog } from '../../shim/src/io/index.js';
import type { ProcessIO, StdioRequest } from '../../shim/src/io/types.js';
import { TSRUN, makeBundle } from '../helpers/bundle.js';

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const req = (r: Partial<StdioRequest> = {}): StdioRequest => ({ stdin: '', stdout: '', stderr: '', terminal: false, openStdin: false, ...r });
const MB = 1024 * 1024;

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Spawns `sh -c script` with the io's stdio; resolves with its exit code once it has exited and io has drained. */
async function run(io: ProcessIO, script: string, during?: () => void | Promise<void>): Promise<number | null> {
  const rs = io.runtimeStdio();
  const child = spawn('sh', ['-c', script], { stdio: rs.stdio });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await io.started();
  await during?.();
  const code = await within(exited, 60_000, script);
  await within(io.drained(), 30_000, 'drained()');
  return code;
}

export const scenarios: Record<string, (dir: string) => Promise<Record<string, unknown>>> = {
  /** 10 MB of random bytes on stdout and 1 MB on stderr at once, with three attach listeners. */
  async bigOutput(dir) {
    const log = path.join(dir, 'c.log');
    const io = await openProcessIO(req(), { path: log, maxSize: 0, maxFiles: 1 });
    const seen = [0, 1, 2].map(() => ({ stdout: [] as Buffer[], stderr: [] as Buffer[] }));
    seen.forEach((s) => io.attach((stream, data) => s[stream].push(data)));
    const code = await run(io, `head -c ${10 * MB} /dev/urandom | tee ${dir}/out.src & head -c ${MB} /dev/urandom | tee ${dir}/err.src >&2; wait`);
    io.close();
    const got = readLog(log);
    return {
      code,
      src: { stdout: sha(fs.readFileSync(`${dir}/out.src`)), stderr: sha(fs.readFileSync(`${dir}/err.src`)) },
      log: { stdout: sha(got.stdout), stderr: sha(got.stderr) },
      attached: seen.map((s) => ({ stdout: sha(Buffer.concat(s.stdout)), stderr: sha(Buffer.concat(s.stderr)) })),
      outBytes: got.stdout.length,
    };
  },

  /** WriteStdin then close-io: cat sees the bytes, then EOF, and ends. */
  async stdinEof(dir) {
    const io = await openProcessIO(req({ openStdin: true }), { path: path.join(dir, 'c.log'), maxSize: 0, maxFiles: 1 });
    const code = await run(io, 'cat; echo " <eof>"', () => {
      io.writeStdin(Buffer.from('hello'));
      io.writeStdin(Buffer.from(' stdin'));
      io.closeStdin();
    });
    let after = '';
    try {
      io.writeStdin(Buffer.from('late'));
    } catch (e) {
      after = (e as Error).message;
    }
    io.close();
    return { code, out: readLog(path.join(dir, 'c.log')).stdout.toString(), after };
  },

  /** stdin from the caller's FIFO: a writer comes and goes (no EOF for the process), then close-io ends it. */
  async stdinFifo(dir) {
    const fifo = path.join(dir, 'in');
    spawnSync('mkfifo', [fifo]);
    const io = await openProcessIO(req({ stdin: fifo }), { path: path.join(dir, 'c.log'), maxSize: 0, maxFiles: 1 });
    const code = await run(io, 'cat; echo "<eof>"', async () => {
      spawnSync('sh', ['-c', `echo first > ${fifo}`]);
      spawnSync('sh', ['-c', `echo second > ${fifo}`]);
      // the writers have gone, the process must still be reading: give it time to (wrongly) see EOF
      await new Promise((r) => setTimeout(r, 200));
      const early = readLog(path.join(dir, 'c.log')).stdout.toString();
      if (early.includes('<eof>')) throw new Error(`EOF before close-io: ${JSON.stringify(early)}`);
      io.closeStdin();
    });
    io.close();
    return { code, out: readLog(path.join(dir, 'c.log')).stdout.toString() };
  },

  /** stdin from a regular file, handed to the process as is. */
  async stdinFile(dir) {
    fs.writeFileSync(path.join(dir, 'in.txt'), 'from a file\n');
    const io = await openProcessIO(req({ stdin: path.join(dir, 'in.txt') }), { path: path.join(dir, 'c.log'), maxSize: 0, maxFiles: 1 });
    const code = await run(io, 'cat');
    io.close();
    return { code, out: readLog(path.join(dir, 'c.log')).stdout.toString() };
  },

  /** stdout copied to a FIFO read by another process, stderr to a file; both equal the log. */
  async fifoWithReader(dir) {
    const fifo = path.join(dir, 'out');
    spawnSync('mkfifo', [fifo]);
    const reader = spawn('sh', ['-c', `cat ${fifo} > ${dir}/out.copy`]);
    const readerDone = new Promise((r) => reader.on('exit', r));
    const io = await openProcessIO(req({ stdout: fifo, stderr: path.join(dir, 'err.copy') }), { path: path.join(dir, 'c.log'), maxSize: 0, maxFiles: 1 });
    const code = await run(io, `head -c ${2 * MB} /dev/urandom; echo to-stderr >&2`);
    io.close(); // the shim's FIFO writer goes: the reader sees EOF
    await within(readerDone, 30_000, 'FIFO reader');
    const got = readLog(path.join(dir, 'c.log'));
    return { code, log: sha(got.stdout), copy: sha(fs.readFileSync(`${dir}/out.copy`)), err: fs.readFileSync(`${dir}/err.copy`, 'utf8') };
  },

  /** A FIFO nobody reads: the shim neither blocks nor fails; the log has everything. */
  async fifoWithoutReader(dir) {
    const fifo = path.join(dir, 'out');
    spawnSync('mkfifo', [fifo]);
    const io = await openProcessIO(req({ stdout: fifo, stderr: fifo }), { path: path.join(dir, 'c.log'), maxSize: 0, maxFiles: 1 });
    const code = await run(io, `head -c ${10 * MB} /dev/urandom | tee ${dir}/out.src`);
    io.close();
    return { code, src: sha(fs.readFileSync(`${dir}/out.src`)), log: sha(readLog(path.join(dir, 'c.log')).stdout) };
  },

  /** Rotation with a real process: maxFiles old files are kept, and they hold the newest output in order. */
  async rotation(dir) {
    const log = path.join(dir, 'c.log');
    const io = await openProcessIO(req(), { path: log, maxSize: 64 * 1024, maxFiles: 2 });
    const code = await run(io, `i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done`);
    io.close();
    const all = Array.from({ length: 20000 }, (_, i) => `line ${i}\n`).join('');
    const kept = readLog(log).stdout.toString();
    return { code, files: logFiles(log).map((f) => path.basename(f)), sizes: logFiles(log).map((f) => fs.statSync(f).size), suffix: all.endsWith(kept), keptLines: kept.split('\n').length - 1 };
  },

  /** Bad paths: clear errors, nothing left open. */
  async badPaths(dir) {
    const errors: string[] = [];
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    for (const r of [req({ stdin: path.join(dir, 'missing') }), req({ stdout: path.join(dir, 'no/such/dir') })]) {
      await openProcessIO(r, { path: path.join(dir, 'c.log'), maxSize: 0, maxFiles: 1 }).then(
        () => errors.push('opened'),
        (e: Error) => errors.push(e.message),
      );
    }
    await openProcessIO(req(), { path: path.join(dir, 'no/such/c.log'), maxSize: 0, maxFiles: 1 }).then(
      () => errors.push('opened'),
      (e: Error) => errors.push(e.message),
    );
    return { errors, fdsLeft: fds() - before };
  },

  /** A container with a terminal (tsrun create --console-socket): sized before start, resized while it runs,
   * stdin written, then close-io: the terminal's EOF character ends `cat`. */
  async ttyContainer(dir) {
    const b = makeBundle('stty size; read x; echo "got:$x"; read y; stty size; cat; echo after-eof', (s) => {
      if (s.process) s.process.terminal = true;
    });
    const root = path.join(dir, 'root');
    const id = `shimio-tty-${process.pid}`;
    const tsrun = (...args: string[]) => spawnSync(TSRUN, ['--root', root, ...args], { encoding: 'utf8', timeout: 30_000 });
    const io = await openProcessIO(req({ terminal: true, openStdin: true }), { path: path.join(dir, 'c.log'), maxSize: 0, maxFiles: 1 });
    let seen = '';
    let waiting: { text: string; resolve: () => void } | undefined;
    const until = (text: string) => within(new Promise<void>((resolve) => (seen.includes(text) ? resolve() : (waiting = { text, resolve }))), 20_000, `output "${text}" (got ${JSON.stringify(seen)})`);
    try {
      io.resize(100, 30);
      const rs = io.runtimeStdio();
      const c = spawnSync(TSRUN, ['--root', root, 'create', '--bundle', b.dir, '--console-socket', rs.consoleSocket ?? '', id], { stdio: rs.stdio, timeout: 30_000 });
      if (c.status !== 0) throw new Error(`tsrun create: exit ${c.status}`);
      await io.started();
      io.attach((_, data) => {
        seen += data.toString();
        if (waiting && seen.includes(waiting.text)) waiting.resolve();
      });
      const st = tsrun('start', id);
      if (st.status !== 0) throw new Error(`tsrun start: ${st.stderr}`);
      await until('30 100');
      io.writeStdin(Buffer.from('hello\n'));
      await until('got:hello');
      io.resize(120, 40);
      io.writeStdin(Buffer.from('go\n'));
      await until('40 120');
      io.writeStdin(Buffer.from('more\n'));
      await until('more\r\nmore');
      io.closeStdin();
      await until('after-eof');
      await within(io.drained(), 30_000, 'drained()');
      return { log: readLog(path.join(dir, 'c.log')).stdout.toString(), attached: seen, state: JSON.parse(tsrun('state', id).stdout || '{}').status };
    } finally {
      io.close();
      tsrun('delete', '--force', id);
      b.remove();
    }
  },
};
