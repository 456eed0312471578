// tsrund [--address SOCK] [--root DIR] [--state DIR] [--group NAME|GID]: the supervisor daemon.
// SIGTERM/SIGINT stop it; its shims (and so the containers) keep running and are taken up by the next tsrund.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CommandLauncher } from '../runtime/shim-launcher.js';
import { startDaemon } from './daemon.js';

const REPO = path.resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
const USAGE = 'usage: tsrund [--address SOCK] [--root DIR] [--state DIR] [--group NAME|GID] [--shim PATH] [--runtime PATH]';

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) throw new Error(`--group ${name}: no such group in /etc/group`);
  return Number(line.split(':')[2]);
}

async function main(): Promise<void> {
  let v;
  try {
    v = parseArgs({
      options: {
        address: { type: 'string', default: '/run/tsrund/tsrund.sock' },
        root: { type: 'string', default: '/var/lib/tsrund' },
        state: { type: 'string', default: '/run/tsrund' },
        group: { type: 'string' },
        shim: { type: 'string', default: path.join(REPO, 'bin', 'tsrun-shim') },
        runtime: { type: 'string', default: path.join(REPO, 'bin', 'tsrun') },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`tsrund: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const address = path.resolve(v.address);
  const d = await startDaemon({
    address,
    root: path.resolve(v.root),
    state: path.resolve(v.state),
    ...(v.group !== undefined ? { gid: groupId(v.group) } : {}),
    launcher: new CommandLauncher(path.resolve(v.shim), address),
    shim: path.resolve(v.shim),
    runtime: path.resolve(v.runtime),
  });
  const r = d.restored;
  process.stderr.write(`tsrund: serving on ${address} (reattached ${r.reattached.length}, reaped ${r.reaped.length}, discarded ${r.discarded.length})\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    d.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`tsrund: ${err.message}\n`);
  process.exit(1);
});
