// containerd's own gRPC API, called from Node the way bench/tsrund.js calls tsrund's: the engine's view of
// containerd, without ctr's process per container. The protos come from Debian's golang-github-containerd-containerd-dev
// (the same source version as the installed containerd): the installed copy when there is one, else the package is
// downloaded with `apt-get download` and unpacked into the bench's work directory (nothing is installed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const PACKAGE = 'golang-github-containerd-containerd-dev';
const GOCODE = 'usr/share/gocode/src';
const API = 'github.com/containerd/containerd/api';
const SPEC_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';

/** The folder that holds github.com/containerd/containerd/api/..., or throws saying how to get it. */
export function containerdProtos(work) {
  if (existsSync(join('/', GOCODE, API))) return join('/', GOCODE);
  const version = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'containerd'], { encoding: 'utf8' }).stdout.trim();
  if (!version) throw new Error('containerd is not installed from a Debian package: no protos to match it');
  const dir = join(work, 'containerd-protos');
  mkdirSync(dir, { recursive: true });
  const dl = spawnSync('apt-get', ['download', `${PACKAGE}=${version}`], { cwd: dir, encoding: 'utf8' });
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${PACKAGE}=${version} failed: ${(dl.stderr || '').trim().split('\n').pop()}`);
  const x = spawnSync('dpkg-deb', ['-x', deb, 'x'], { cwd: dir, encoding: 'utf8' });
  if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb}: ${x.stderr.trim()}`);
  return join(dir, 'x', GOCODE);
}

function loadRoot(gocode) {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (target.startsWith('google/protobuf/') || target.startsWith('gogoproto/')) return target; // built in; weak import
    if (target.startsWith('github.com/')) return join(gocode, target);
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync([`${API}/services/containers/v1/containers.proto`, `${API}/services/tasks/v1/tasks.proto`].map((p) => join(gocode, p)));
  root.resolveAll();
  return root;
}

function serviceClient(root, channel, name, namespace) {
  const service = root.lookupService(name);
  const definition = {};
  for (const m of Object.values(service.methods)) {
    const req = root.lookupType(m.requestType);
    const res = root.lookupType(m.responseType);
    definition[m.name] = {
      path: `/${name}/${m.name}`,
      requestStream: false,
      responseStream: false,
      // a client's half: it encodes requests and decodes responses
      requestSerialize: (o) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      responseDeserialize: (b) => res.toObject(res.decode(b), { longs: Number }),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(definition, name);
  const client = new Ctor('unused', grpc.credentials.createInsecure(), { channelOverride: channel });
  const out = {};
  for (const method of Object.keys(definition)) {
    out[method] = (req = {}) =>
      new Promise((resolve, reject) => {
        const md = new grpc.Metadata();
        md.set('containerd-namespace', namespace);
        client[method](req, md, (err, res) => (err ? reject(err) : resolve(res)));
      });
  }
  return out;
}

/**
 * A client of containerd's Containers and Tasks services. run(id, spec) does what an engine does for a container
 * on a rootfs directory (spec.root.path absolute, no snapshot, stdio to /dev/null): Containers.Create with the
 * runc v2 shim, Tasks.Create, Tasks.Start.
 */
export function containerdClient(gocode, socket, namespace) {
  const root = loadRoot(gocode);
  const channel = new grpc.Channel(`unix://${socket}`, grpc.credentials.createInsecure(), {});
  const containers = serviceClient(root, channel, 'containerd.services.containers.v1.Containers', namespace);
  const tasks = serviceClient(root, channel, 'containerd.services.tasks.v1.Tasks', namespace);
  return {
    containers,
    tasks,
    async run(id, spec) {
      const value = Buffer.from(JSON.stringify(spec));
      await containers.Create({ container: { id, runtime: { name: 'io.containerd.runc.v2' }, spec: { typeUrl: SPEC_TYPE, value } } });
      await tasks.Create({ containerId: id });
      await tasks.Start({ containerId: id });
    },
    async remove(id) {
      await tasks.Kill({ containerId: id, signal: 9 }).catch(() => undefined);
      await tasks.Wait({ containerId: id }).catch(() => undefined);
      await tasks.Delete({ containerId: id }).catch(() => undefined);
      await containers.Delete({ id }).catch(() => undefined);
    },
    close: () => channel.close(),
  };
}
