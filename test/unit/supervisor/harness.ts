// Starts tsrund in this process on temp directories with a fake shim launcher, and a client for it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDaemon, type Daemon } from '../../../supervisor/src/daemon/daemon.js';
import { TsrundClient } from '../../../supervisor/src/client.js';
import { FakeLauncher } from './fake-shim.js';

export interface Harness {
  dir: string;
  address: string;
  launcher: FakeLauncher;
  daemon: Daemon;
  client(namespace?: string): TsrundClient;
  /** Stops the daemon (as a crash would: no cleanup of tasks) and starts a new one on the same directories. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrund-unit-'));
  const launcher = new FakeLauncher();
  const address = path.join(dir, 'tsrund.sock');
  const clients: TsrundClient[] = [];
  const start = () =>
    startDaemon({ address, root: path.join(dir, 'root'), state: path.join(dir, 'state'), launcher, runtime: '/bin/false', shim: 'fake', maxMessage: 1024 * 1024 });
  const h: Harness = {
    dir,
    address,
    launcher,
    daemon: await start(),
    client(namespace) {
      const c = new TsrundClient(address, { namespace });
      clients.push(c);
      return c;
    },
    async restart() {
      await h.daemon.stop();
      h.daemon = await start();
    },
    async close() {
      for (const c of clients) c.close();
      await h.daemon.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export function rootfsDir(h: Harness): string {
  const d = path.join(h.dir, 'rootfs');
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export function spec(args = ['true']): string {
  return JSON.stringify({ ociVersion: '1.3.0', process: { args, cwd: '/' }, root: { path: 'rootfs' } });
}
