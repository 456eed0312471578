// tsrund: wires the store, the services and the gRPC API together, takes up the tasks of a previous run, and
// serves on a unix socket that only root (or root and one group) can reach.
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { containersApi } from '../api/containers.js';
import { eventsApi } from '../api/events.js';
import { serviceDefinition } from '../api/proto.js';
import { namespacesApi, versionApi } from '../api/system.js';
import { tasksApi } from '../api/tasks.js';
import { Exchange } from '../events/exchange.js';
import { KeyedLock } from '../lock.js';
import { restoreTasks, type RestoreReport } from '../runtime/restore.js';
import type { ShimLauncher } from '../runtime/shim-api.js';
import { ContainerService } from '../services/containers.js';
import { TaskService } from '../services/tasks.js';
import { ContainerStore } from '../store/containers.js';

export interface DaemonOptions {
  address: string;
  root: string;
  state: string;
  /** Group id that may use the socket too (mode 0660); none: root only (0600). */
  gid?: number;
  launcher: ShimLauncher;
  runtime: string;
  shim: string;
  /** Largest request accepted (bytes). */
  maxMessage?: number;
}

export interface Daemon {
  server: grpc.Server;
  tasks: TaskService;
  containers: ContainerService;
  exchange: Exchange;
  restored: RestoreReport;
  stop(): Promise<void>;
}

/** Refuses to take over a socket another live server answers on; removes a stale one. */
async function claimSocket(address: string): Promise<void> {
  const live = await new Promise<boolean>((resolve) => {
    const s = net.connect(address);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) throw new Error(`${address}: another server is listening on this socket`);
  fs.rmSync(address, { force: true });
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  for (const dir of [o.root, o.state, path.dirname(o.address)]) fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  const store = new ContainerStore(o.root);
  await store.load();
  const exchange = new Exchange();
  const lock = new KeyedLock();
  let tasks: TaskService | undefined;
  const containers = new ContainerService({ store, exchange, lock, hasTask: (ns, id) => tasks?.has(ns, id) ?? false });
  tasks = new TaskService({ state: o.state, exchange, lock, launcher: o.launcher, runtime: o.runtime, container: (ns, id) => containers.need(ns, id) });
  const restored = await restoreTasks(tasks);

  const max = o.maxMessage ?? 4 * 1024 * 1024;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  server.addService(serviceDefinition('Containers'), containersApi(containers));
  server.addService(serviceDefinition('Tasks'), tasksApi(tasks));
  server.addService(serviceDefinition('Events'), eventsApi(exchange));
  server.addService(serviceDefinition('Version'), versionApi({ shim: o.shim, runtime: o.runtime }));
  server.addService(serviceDefinition('Namespaces'), namespacesApi(store));

  await claimSocket(o.address);
  // the socket is created with the umask's mode: make it private from the first moment, then open it to the group
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${o.address}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    process.umask(oldMask);
  }
  if (o.gid !== undefined) {
    fs.chownSync(o.address, 0, o.gid);
    fs.chmodSync(o.address, 0o660);
  }

  const svc = tasks;
  return {
    server,
    tasks: svc,
    containers,
    exchange,
    restored,
    async stop() {
      // open event streams never end by themselves: end every call now
      server.forceShutdown();
      // the shims keep running: a restarted tsrund takes them up again
      await Promise.all([...svc.tasks.values()].map((t) => t.detach()));
      fs.rmSync(o.address, { force: true });
    },
  };
}
