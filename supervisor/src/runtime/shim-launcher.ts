// Starts and removes shims with the tsrun-shim command (bin/tsrun-shim): `start` returns once the shim serves and
// prints its address; `delete` cleans up after a shim that is gone and prints the init's exit as JSON.
import { execFile } from 'node:child_process';
import type { ExitInfo, ShimApi, ShimLauncher, ShimOptions } from './shim-api.js';
import { connectShim } from './shim-client.js';

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
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

export class CommandLauncher implements ShimLauncher {
  constructor(
    private readonly shim: string,
    /** tsrund's own socket, passed on for the record. */
    private readonly address: string,
  ) {}

  async start(o: ShimOptions): Promise<string> {
    return (await run(this.shim, ['start', ...flags(o), '--address', this.address])).trim();
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
