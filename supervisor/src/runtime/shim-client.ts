// The real ShimApi: shim/src/client.ts's ShimClient (the shim's own framing client), adapted to tsrund's
// interface (bigint times to numbers, JSON payloads as Buffers). Loaded at run time, so that the supervisor
// builds and its unit tests run on their own.
import { fileURLToPath } from 'node:url';
import type { ShimApi, ShimEvent, ShimState } from './shim-api.js';

interface RawEvent {
  seq: bigint;
  timestamp: bigint;
  topic: string;
  namespace: string;
  containerId: string;
  execId: string;
  pid: number;
  exitStatus: number;
  exitedAt: bigint;
}

/** The parts of shim/src/client.ts's ShimClient used here. */
interface RawClient {
  connect(): Promise<{ shimPid: number; taskPid: number; version: string }>;
  create(r: object): Promise<{ pid: number }>;
  start(r: object): Promise<{ pid: number }>;
  state(r: object): Promise<Omit<ShimState, 'exitedAt'> & { exitedAt: bigint }>;
  exec(r: object): Promise<void>;
  kill(r: object): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  pids(id: string): Promise<{ pid: number; execId: string }[]>;
  stats(id: string): Promise<unknown>;
  update(id: string, resources: object): Promise<void>;
  resizePty(r: object): Promise<void>;
  closeIO(r: object): Promise<void>;
  wait(r: object): Promise<{ exitStatus: number; exitedAt: bigint }>;
  delete(r: object): Promise<{ pid: number; exitStatus: number; exitedAt: bigint }>;
  shutdown(r: object): Promise<void>;
  subscribe(afterSeq: bigint): AsyncGenerator<RawEvent>;
  close(): void;
}

type Connect = (address: string) => Promise<RawClient>;
let loaded: Promise<Connect> | undefined;

function load(): Promise<Connect> {
  const url = new URL('../../../shim/src/client.js', import.meta.url);
  loaded ??= import(url.href).then(
    (m: { ShimClient: { connect: Connect } }) => (address: string) => m.ShimClient.connect(address),
    (err: Error) => {
      throw new Error(`the shim client is not built (${fileURLToPath(url)}): ${err.message}`);
    },
  );
  return loaded;
}

const num = (v: bigint | number | undefined): number => Number(v ?? 0);

function event(e: RawEvent): ShimEvent {
  return { ...e, seq: num(e.seq), timestamp: num(e.timestamp), exitedAt: num(e.exitedAt) };
}

export async function connectShim(address: string): Promise<ShimApi> {
  const c = await (await load())(address);
  const subs = new Set<AsyncGenerator<RawEvent>>();
  return {
    connect: () => c.connect(),
    create: (r) => c.create(r),
    start: (r) => c.start(r),
    state: async (r) => {
      const s = await c.state(r);
      return { ...s, exitedAt: num(s.exitedAt) };
    },
    exec: (r) => c.exec(r),
    kill: (r) => c.kill(r),
    pause: (id) => c.pause(id),
    resume: (id) => c.resume(id),
    pids: (id) => c.pids(id),
    // `tsrun events --stats` prints an event ({type: "stats", id, data}); the statistics are its data
    stats: async (id) => {
      const ev = (await c.stats(id)) as { type?: string; data?: unknown } | null;
      return Buffer.from(JSON.stringify(ev?.type === 'stats' && ev.data ? ev.data : ev));
    },
    update: (id, resources) => c.update(id, JSON.parse(resources.toString()) as object),
    resizePty: (r) => c.resizePty(r),
    closeIO: (r) => c.closeIO(r),
    wait: async (r) => {
      const w = await c.wait(r);
      return { pid: 0, exitStatus: w.exitStatus, exitedAt: num(w.exitedAt) };
    },
    delete: async (r) => {
      const d = await c.delete(r);
      return { pid: d.pid, exitStatus: d.exitStatus, exitedAt: num(d.exitedAt) };
    },
    shutdown: (id, now) => c.shutdown({ id, now }),
    subscribe(afterSeq) {
      const gen = c.subscribe(BigInt(afterSeq));
      subs.add(gen);
      return {
        async *[Symbol.asyncIterator]() {
          try {
            for await (const e of gen) yield event(e);
          } finally {
            subs.delete(gen);
          }
        },
      };
    },
    close() {
      for (const g of subs) void g.return(undefined);
      c.close();
    },
  };
}
