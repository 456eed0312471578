// tsrun-shim: the per-container shim (see shim/README.md). `start` and `delete` are for callers; `serve` is what
// `start` runs in the background. Each command loads only its own modules: `start` runs once per container and
// `serve` lives as long as it, so neither pays for the other's code (nor `delete`'s).
import { USAGE, UsageError, parseOptions } from './options.js';
import * as fs from 'node:fs';
// write(2), not process.stdout/stderr: on Bun the first use of those streams costs ~8 ms of CPU and memory
import { stderr, stdout } from '../../runtime/src/cli/output.js';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start': {
      const o = parseOptions(rest, ['namespace']);
      const { startShim } = await import('./start.js');
      stdout(`${await startShim(o, rest)}\n`);
      return 0;
    }
    case 'serve': {
      const o = parseOptions(rest, ['namespace']);
      const [{ runShim }, { openProcessIO }] = await Promise.all([import('./serve.js'), import('./io/index.js')]);
      await runShim(o, openProcessIO, (address) => {
        try {
          fs.writeSync(3, `ok ${address}\n`);
          fs.closeSync(3);
        } catch {
          // run by hand, without a starter on fd 3
        }
      });
      return -1; // keeps serving
    }
    case 'delete': {
      const o = parseOptions(rest);
      const { deleteShim } = await import('./delete.js');
      stdout(`${JSON.stringify(deleteShim(o, (l) => stderr(`tsrun-shim: ${l}\n`)))}\n`);
      return 0;
    }
    default:
      throw new UsageError(cmd ? `unknown command "${cmd}"` : 'a command is required');
  }
}

/**
 * Runs one command to its end: exits with its code, or for `serve` stays pending until the shim exits (Shutdown,
 * SIGTERM). The entry (cli.ts, or the .mjs scripts/bundle.js writes for Bun) awaits it at top level, so the entry
 * module never finishes: Bun runs a full collection once the entry module has finished while work is pending,
 * ~1-2 ms of CPU at every shim's start for nothing a shim needs back.
 */
export async function run(argv: string[]): Promise<void> {
  let code: number;
  try {
    code = await main(argv);
  } catch (e) {
    stderr(`tsrun-shim: ${(e as Error).message}\n${e instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  }
  if (code >= 0) process.exit(code);
  await new Promise<never>(() => {});
}
