// A TypeScript client for tsrund, built on the same protos: what tsctl, the tests and an engine use.
//
//   const c = new TsrundClient('/run/tsrund/tsrund.sock', { namespace: 'myengine' });
//   await c.containers.Create({ container: { id: 'web', spec: JSON.stringify(spec), rootfs: { path: '/srv/rootfs' } } });
//   await c.tasks.Create({ containerId: 'web', stdio: { stdout: '/tmp/web.out' } });
//   await c.tasks.Start({ containerId: 'web' });
//   const { exitStatus } = await c.tasks.Wait({ containerId: 'web' });
//
// Method names are the .proto's; requests and responses are protobufjs plain objects with camelCase fields
// (uint64 as numbers). Errors are grpc-js ServiceErrors (code, details).
import * as grpc from '@grpc/grpc-js';
import { NAMESPACE_KEY } from './api/handlers.js';
import { SERVICES, serviceDefinition, type ServiceName } from './api/proto.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;
export type UnaryMethod = (req?: Msg, opts?: { deadline?: number }) => Promise<Msg>;
export type Service<K extends string> = Record<K, UnaryMethod>;
type ContainersMethod = 'Create' | 'Get' | 'List' | 'Update' | 'Delete';
type TasksMethod = 'Create' | 'Start' | 'Get' | 'List' | 'Kill' | 'Exec' | 'ResizePty' | 'CloseIO' | 'Pause' | 'Resume' | 'ListPids' | 'Update' | 'Metrics' | 'Wait' | 'DeleteProcess' | 'Delete';

export interface Subscription extends AsyncIterable<Msg> {
  /** Resolves once tsrund has registered the subscription: every event published after this is delivered. */
  ready: Promise<void>;
  close(): void;
}

export class TsrundClient {
  readonly containers: Service<ContainersMethod>;
  readonly tasks: Service<TasksMethod>;
  readonly version: Service<'Version'>;
  readonly namespaces: Service<'List'>;
  private readonly clients: grpc.Client[] = [];
  private readonly channel: grpc.Channel;
  private readonly events: grpc.Client;
  readonly namespace: string;

  constructor(address: string, opts: { namespace?: string } = {}) {
    this.namespace = opts.namespace ?? 'default';
    this.channel = new grpc.Channel(`unix://${address}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
    this.containers = this.service('Containers');
    this.tasks = this.service('Tasks');
    this.version = this.service('Version');
    this.namespaces = this.service('Namespaces');
    this.events = this.make('Events');
  }

  private make(name: ServiceName): grpc.Client {
    const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(name), name);
    const c = new Ctor('unused', grpc.credentials.createInsecure(), { channelOverride: this.channel });
    this.clients.push(c);
    return c;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(NAMESPACE_KEY, this.namespace);
    return md;
  }

  // the method names come from the loaded .proto; the types above list them for the compiler
  private service<K extends string>(name: ServiceName): Service<K> {
    const client = this.make(name) as unknown as Record<string, Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    const out: Record<string, UnaryMethod> = {};
    for (const method of Object.keys(serviceDefinition(name))) {
      out[method] = (req = {}, opts = {}) =>
        new Promise((resolve, reject) => {
          const callOpts = opts.deadline ? { deadline: Date.now() + opts.deadline } : {};
          (client[method] as Function).call(client, req, this.metadata(), callOpts, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
        });
    }
    return out as Service<K>;
  }

  /** Events of this client's namespace (topics: exact or prefixes ending in '/'); afterSeq > 0 first replays
   * the kept events after it. */
  subscribe(topics: string[] = [], afterSeq = 0): Subscription {
    const call = (this.events as unknown as { Subscribe(req: Msg, md: grpc.Metadata): grpc.ClientReadableStream<Msg> }).Subscribe({ topics, afterSeq }, this.metadata());
    const ready = new Promise<void>((resolve, reject) => {
      call.once('metadata', () => resolve());
      call.once('error', reject);
    });
    ready.catch(() => undefined);
    return {
      ready,
      close: () => call.cancel(),
      [Symbol.asyncIterator]: async function* () {
        try {
          for await (const ev of call) yield ev as Msg;
        } catch (err) {
          if ((err as grpc.ServiceError).code !== grpc.status.CANCELLED) throw err;
        }
      },
    };
  }

  close(): void {
    for (const c of this.clients) c.close();
    this.channel.close();
  }
}

export { SERVICES };
