// Runs the OCI runtime (bin/tsrun, or any runc-compatible binary) as containerd's shim runs runc: one command
// per operation, `--log FILE --log-format json`, and on failure the runtime's own message (the last JSON log
// line's msg) becomes the error. The spawned pids are registered with the reaper so that it leaves them alone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTsrun, launch } from '../../runtime/src/launch.js';
import type { Reaper } from './reaper.js';
import { Code, ShimError } from './rpc/codes.js';
import { type StdioSlot, loadSpawn } from './spawn.js';

export interface RunOptions {
  /** stdio[0..2] for the command (the container's, for create and exec); stdout is captured when 'pipe'. */
  stdio?: [StdioSlot, StdioSlot, StdioSlot];
  input?: Buffer;
  env?: NodeJS.ProcessEnv;
}

export class Runtime {
  private n = 0;
  /** bin is tsrun: start runs here (start-here.ts). */
  private readonly tsrun: boolean;

  constructor(
    readonly bin: string,
    readonly root: string | undefined,
    private readonly logDir: string,
    private readonly reaper: Reaper,
    private readonly log: (m: string) => void,
  ) {
    this.tsrun = isTsrun(bin);
  }

  /** `<bin> start id`, or with tsrun, its start code in this process when it can (start-here.ts). */
  async start(id: string): Promise<void> {
    if (this.tsrun) {
      const { startHere } = await import('./start-here.js');
      try {
        if (await startHere(this.root, id, this.log)) return;
      } catch (e) {
        throw new ShimError(Code.Unknown, `${path.basename(this.bin)} start: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    await this.run(['start', id]);
  }

  /** Runs `<bin> [--root R] --log L --log-format json ...args`; resolves with its stdout (when piped). */
  async run(args: string[], o: RunOptions = {}): Promise<string> {
    const log = path.join(this.logDir, `runtime-${process.pid}-${++this.n}.json`);
    const full = [...(this.root ? ['--root', this.root] : []), '--log', log, '--log-format', 'json', ...args];
    const spawn = await loadSpawn();
    const l = launch(this.bin, full, o.env ?? process.env);
    const child = spawn(l.file, l.args, { stdio: o.stdio ?? ['ignore', 'pipe', 'pipe'], ...(o.input ? { input: o.input } : {}), env: l.env });
    if (child.pid !== undefined) this.reaper.own.add(child.pid);
    const result = await child.done;
    if (child.pid !== undefined) this.reaper.own.delete(child.pid);
    try {
      if (result.code === 0) return result.stdout.toString();
      const why = result.error?.message ?? lastLogMessage(log) ?? (result.stderr.toString().trim().split('\n').at(-1) || `exited with ${result.code ?? result.signal}`);
      throw new ShimError(Code.Unknown, `${path.basename(this.bin)} ${args[0]}: ${why}`);
    } finally {
      fs.rmSync(log, { force: true });
    }
  }
}

/** The msg of the last JSON line of a runtime log (runc's `--log-format json` shape: {"level","msg","time"}). */
export function lastLogMessage(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const m = (JSON.parse(line) as { msg?: unknown }).msg;
      if (typeof m === 'string' && m) return m;
    } catch {
      // not JSON: look further up
    }
  }
  return undefined;
}
