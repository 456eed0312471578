// tsrun-shim: the per-container shim (see shim/README.md). `start` and `delete` are for callers; `serve` is what
// `start` runs in the background.
import { deleteShim } from './delete.js';
import { openProcessIO } from './io/index.js';
import { USAGE, UsageError, parseOptions } from './options.js';
import { runShim } from './serve.js';
import { startShim } from './start.js';
import * as fs from 'node:fs';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start': {
      const o = parseOptions(rest, ['namespace']);
      process.stdout.write(`${await startShim(o, rest)}\n`);
      return 0;
    }
    case 'serve': {
      const o = parseOptions(rest, ['namespace']);
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
      process.stdout.write(`${JSON.stringify(deleteShim(o, (l) => process.stderr.write(`tsrun-shim: ${l}\n`)))}\n`);
      return 0;
    }
    default:
      throw new UsageError(cmd ? `unknown command "${cmd}"` : 'a command is required');
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: Error) => {
    process.stderr.write(`tsrun-shim: ${e.message}\n${e instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
