// Starts and removes shims with the tsrun-shim command (bin/tsrun-shim). tsrund starts `tsrun-shim serve` itself,
// with the handshake `tsrun-shim start` uses (shim/src/start.ts): the shim runs in a session of its own, its
// stdio on <state-dir>/shim.log, and says "ok <socket path>\n" on fd 3 once it serves. That spares a process
// per container (the start command only spawns serve and waits); the shim is then tsrund's child until tsrund
// exits, and libuv reaps it if it ends first. `delete` cleans up after a shim that is gone and prints the init's
// exit as JSON.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launch } from '../../../runtime/src/launch.js';
import type { ExitInfo, ShimApi, ShimLauncher, ShimOptions } from './shim-api.js';
import { connectShim } from './shim-client.js';

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const l = launch(bin, args, process.env);
    execFile(l.file, l.args, { encoding: 'utf8', timeout: 60_000, env: l.env }, (err, stdout, stderr) => {
      if (err) {
        const line = stderr.trim().split('\n')[0] || err.message;
        reject(new Error(line.replace(/^tsrun-shim: /, '')));
      } else resolve(stdout);
    });
  });
}

function flags(o: ShimOptions): string[] {
  return ['--id', o.id, '--bundle', o.bundle, '--namespace', o.namespace, '--state-dir', o.stateDir, '--runtime', o.runtime, '--runtime-root', o.runtimeRoot];
}

/** How long a shim may take to serve before it is given up. */
const START_MS = 60_000;

export class CommandLauncher implements ShimLauncher {
  constructor(
    private readonly shim: string,
    /** tsrund's own socket, passed on for the record. */
    private readonly address: string,
  ) {}

  async start(o: ShimOptions): Promise<string> {
    // as `tsrun-shim start` checks: a runtime that is not there fails here, not at the first Create
    if (!(await fs.promises.stat(o.runtime).catch(() => undefined))?.isFile()) throw new Error(`--runtime ${o.runtime}: no such file`);
    await fs.promises.mkdir(o.stateDir, { recursive: true, mode: 0o700 });
    const log = path.join(o.stateDir, 'shim.log');
    const logFd = fs.openSync(log, 'a', 0o600);
    const l = launch(this.shim, ['serve', ...flags(o), '--address', this.address], process.env);
    const child = spawn(l.file, l.args, { detached: true, stdio: ['ignore', logFd, logFd, 'pipe'], cwd: '/', env: l.env });
    fs.closeSync(logFd);
    const said = await new Promise<string>((resolve) => {
      let text = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), START_MS);
      const pipe = child.stdio[3] as NodeJS.ReadableStream;
      pipe.on('data', (d: Buffer) => (text += d.toString()));
      pipe.on('error', () => undefined);
      // EOF: the shim said ok and closed fd 3, or it died
      pipe.on('end', () => (clearTimeout(timer), resolve(text)));
    });
    child.unref();
    const m = /^ok (.+)\n/.exec(said);
    if (m) return m[1] as string;
    // the shim's last log line says why; a failed start leaves only the log (the caller removes the state dir)
    const last = fs.readFileSync(log, 'utf8').trim().split('\n').at(-1) ?? '';
    throw new Error(last.replace(/^\S+ /, '').replace(/^tsrun-shim: /, '') || 'the shim exited before serving');
  }

  connect(address: string): Promise<ShimApi> {
    return connectShim(address);
  }

  async cleanup(o: ShimOptions): Promise<ExitInfo | undefined> {
    const out = await run(this.shim, ['delete', ...flags(o)]);
    const r = JSON.parse(out) as { pid: number; exitStatus: number; exitedAt: string | number };
    return { pid: r.pid, exitStatus: r.exitStatus, exitedAt: Number(r.exitedAt) };
  }
}
