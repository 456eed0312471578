// config/: the schemas in specs/ (through the precompiled validators), the one-line error messages, and
// loadBundle/loadProcess. The upstream fixtures and schemas in ../shared/oci-runtime-spec are the oracle; they are
// read at test time and never copied into the project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { ConfigError } from '../../runtime/src/config/errors.js';
import { loadBundle, loadProcess } from '../../runtime/src/config/load.js';
import { validateDocument, type DocumentKind } from '../../runtime/src/config/validate.js';

// dist/test/unit/config.test.js -> repo root
const ROOT = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
const SHARED = join(ROOT, '..', 'shared', 'oci-runtime-spec');
const noShared = existsSync(SHARED) ? false : `no ${SHARED}`;

type Json = any; // parsed, then mutated, JSON documents

const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8'));
const fixture = (kind: string, name: string): Json => readJson(join(SHARED, 'fixtures', kind, 'good', name));

/** The message validateDocument throws, or 'valid'. */
function verdict(kind: DocumentKind, doc: unknown, file = 'config.json'): string {
  try {
    validateDocument(kind, doc, file);
    return 'valid';
  } catch (err) {
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
    return err.message;
  }
}

// --- upstream fixtures ---------------------------------------------------------------------------------------

for (const kind of ['config', 'state', 'features'] as const) {
  test(`every upstream ${kind} fixture in good/ is accepted and every one in bad/ rejected`, { skip: noShared }, () => {
    for (const group of ['good', 'bad']) {
      const dir = join(SHARED, 'fixtures', kind, group);
      for (const name of readdirSync(dir)) {
        const text = readFileSync(join(dir, name), 'utf8');
        if (name === 'invalid-json.json') {
          assert.throws(() => JSON.parse(text), SyntaxError);
          continue;
        }
        const result = verdict(kind, JSON.parse(text), name);
        if (group === 'good') assert.equal(result, 'valid', `${kind}/good/${name}`);
        else assert.notEqual(result, 'valid', `${kind}/bad/${name} was accepted`);
      }
    }
  });
}

test('the invalid-json fixture gives the one-line invalid JSON error', { skip: noShared }, async () => {
  const bundle = await tmpBundle(readFileSync(join(SHARED, 'fixtures/config/bad/invalid-json.json'), 'utf8'));
  assert.match(await loadError(bundle), /^config\.json: invalid JSON: \S.*$/);
});

// --- error messages --------------------------------------------------------------------------------------------

const MINIMAL = { ociVersion: '1.0.0', root: { path: 'rootfs' } };
const withProcess = (process: Json): Json => ({ ...MINIMAL, process: { cwd: '/', args: ['sh'], ...process } });
const withLinux = (linux: Json): Json => ({ ...MINIMAL, linux });

test('schema errors are one line naming the file, the JSON path and the rule', () => {
  const cases: [Json, string][] = [
    [withLinux({ resources: { memory: { limit: '512M' } } }), 'config.json: linux.resources.memory.limit: must be integer'],
    [withProcess({ user: { gid: 0 } }), "config.json: process.user: must have required property 'uid'"],
    [withLinux({ namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'net' }] }),
      'config.json: linux.namespaces[2].type: must be equal to one of the allowed values (pid, network, mount, ipc, uts, user, cgroup, time)'],
    [{ root: { path: 'rootfs' } }, "config.json: must have required property 'ociVersion'"],
    [{ ...MINIMAL, ociVersion: '1.0' }, 'config.json: ociVersion: must be a SemVer 2.0.0 version, e.g. 1.3.0'],
    [withProcess({ cwd: 'home' }), 'config.json: process.cwd: must be an absolute path'],
    [withProcess({ args: [] }), 'config.json: process.args: must NOT have fewer than 1 items'],
    [withProcess({ user: { uid: -1, gid: 0 } }), 'config.json: process.user.uid: must be >= 0'],
    [withProcess({ rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_FILES', soft: 1, hard: 1 }] }),
      'config.json: process.rlimits[1].type: must be equal to one of the allowed values (RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK)'],
    [withProcess({ capabilities: { bounding: ['CAP_KILL', 'kill'] } }), 'config.json: process.capabilities.bounding[1]: must be a capability name like CAP_CHOWN'],
    [withLinux({ resources: { blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 10 }, { major: 8, minor: 16 }] } } }),
      "config.json: linux.resources.blockIO.weightDevice[1]: must have required property 'weight' or 'leafWeight'"],
    [withLinux({ devices: [{ type: 'c', path: '/dev/fuse' }] }), "config.json: linux.devices[0]: must have required property 'major'"],
    [withLinux({ sysctl: { 'net.ipv4.ip_forward': 1 } }), 'config.json: linux.sysctl["net.ipv4.ip_forward"]: must be string'],
    [{ ...MINIMAL, annotations: { '': 'x' } }, 'config.json: annotations: keys must not be empty'],
    [{ ...MINIMAL, mounts: [{ destination: '/a', uidMappings: [] }] },
      'config.json: mounts[0]: must have property gidMappings when property uidMappings is present'],
    [{ ...MINIMAL, root: undefined }, "config.json: must have required property 'root'"],
  ];
  for (const [doc, message] of cases) assert.equal(verdict('config', JSON.parse(JSON.stringify(doc))), message);
});

test('state, features and process documents are checked against their own schemas', () => {
  const state = { ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 42, bundle: '/b' };
  assert.equal(verdict('state', state, 'state.json'), 'valid');
  assert.equal(verdict('state', { ...state, status: 'paused' }, 'state.json'), 'valid');
  assert.equal(verdict('state', { ...state, pid: undefined }, 'state.json'), "state.json: must have required property 'pid'");
  assert.equal(verdict('state', { ...state, bundle: 'b' }, 'state.json'), 'state.json: bundle: must be an absolute path');
  assert.equal(verdict('state', { ...state, status: 'stopped', pid: undefined }, 'state.json'), 'valid');

  const features = { ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: null, linux: { cgroup: { v2: true, rdma: null } } };
  assert.equal(verdict('features', features, 'features.json'), 'valid');
  assert.equal(
    verdict('features', { ...features, linux: { cgroups: {} } }, 'features.json'),
    "features.json: linux: must NOT have additional property 'cgroups'",
  );
  assert.equal(verdict('features', { ...features, hooks: 'prestart' }, 'features.json'), 'features.json: hooks: must be array or null');

  assert.equal(verdict('process', { cwd: '/', args: ['ls'] }, 'p.json'), 'valid');
  assert.equal(verdict('process', { cwd: '/' }, 'p.json'), "p.json: must have required property 'args'");
  assert.equal(verdict('process', { cwd: '/', args: ['ls'], env: 'A=1' }, 'p.json'), 'p.json: env: must be array');
});

// --- oracle: our schema and the upstream one agree on these mutations -------------------------------------------

const DROP = Symbol('drop');

/** Deep copy of `base` with each existing 'a.b.0.c' path's last key set to its value (DROP deletes it). */
function mutate(base: Json, edits: Record<string, unknown>): Json {
  const doc = structuredClone(base);
  for (const [path, value] of Object.entries(edits)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node = doc;
    for (const k of keys) {
      node = node[k];
      if (node === null || typeof node !== 'object') throw new Error(`mutate: no ${k} in ${path}`);
    }
    if (value === DROP) delete node[last];
    else node[last] = value;
  }
  return doc;
}

type Base = 'example' | 'minimal';
type Mutation = [name: string, base: Base, edits: Record<string, unknown>];

const BOTH_ACCEPT: Mutation[] = [
  ['unchanged spec example', 'example', {}],
  ['unchanged minimal', 'minimal', {}],
  ['extension property at top level', 'minimal', { extension: { any: 1 } }],
  ['unlimited memory and pids', 'example', { 'linux.resources.memory.limit': -1, 'linux.resources.pids.limit': -1 }],
];

const BOTH_REJECT: Mutation[] = [
  ['ociVersion a number', 'minimal', { ociVersion: 1 }],
  ['ociVersion dropped', 'minimal', { ociVersion: DROP }],
  ['root.path dropped', 'minimal', { 'root.path': DROP }],
  ['root.readonly a string', 'minimal', { 'root.readonly': 'true' }],
  ['negative uid', 'example', { 'process.user.uid': -1 }],
  ['gid a string', 'example', { 'process.user.gid': '0' }],
  ['uid above uint32', 'example', { 'process.user.uid': 4294967296 }],
  ['additionalGids with a negative gid', 'example', { 'process.user.additionalGids': [5, -6] }],
  ['cwd dropped', 'example', { 'process.cwd': DROP }],
  ['terminal a string', 'example', { 'process.terminal': 'yes' }],
  ['consoleSize without width', 'example', { 'process.consoleSize': { height: 25 } }],
  ['env not an array', 'example', { 'process.env': 'PATH=/bin' }],
  ['rlimit type in lower case', 'example', { 'process.rlimits.0.type': 'rlimit_core' }],
  ['rlimit soft negative', 'example', { 'process.rlimits.0.soft': -1 }],
  ['rlimit hard dropped', 'example', { 'process.rlimits.1.hard': DROP }],
  ['capabilities set not an array', 'example', { 'process.capabilities.bounding': 'CAP_KILL' }],
  ['ioPriority class unknown', 'example', { 'process.ioPriority': { class: 'IOPRIO_CLASS_NONE', priority: 0 } }],
  ['scheduler without policy', 'example', { 'process.scheduler': { nice: 1 } }],
  ['scheduler policy unknown', 'example', { 'process.scheduler': { policy: 'SCHED_FAIR' } }],
  ['oomScoreAdj a float', 'example', { 'process.oomScoreAdj': 1.5 }],
  ['hostname a number', 'example', { hostname: 42 }],
  ['mounts an object', 'example', { mounts: { destination: '/proc' } }],
  ['mount destination dropped', 'example', { 'mounts.0.destination': DROP }],
  ['mount options a string', 'example', { 'mounts.1.options': 'nosuid' }],
  ['hook timeout zero', 'example', { 'hooks.poststart.0.timeout': 0 }],
  ['hook path dropped', 'example', { 'hooks.prestart.1.path': DROP }],
  ['annotation value a number', 'example', { 'annotations.gpu': 2 }],
  ['namespace type unknown', 'example', { 'linux.namespaces.0.type': 'pidns' }],
  ['namespace type dropped', 'example', { 'linux.namespaces.2.type': DROP }],
  ['uid mapping size negative', 'example', { 'linux.uidMappings.0.size': -5 }],
  ['gid mapping hostID dropped', 'example', { 'linux.gidMappings.0.hostID': DROP }],
  ['device type unknown', 'example', { 'linux.devices.0.type': 'x' }],
  ['device fileMode negative', 'example', { 'linux.devices.0.fileMode': -1 }],
  ['memory limit a string', 'example', { 'linux.resources.memory.limit': '512M' }],
  ['cpu shares negative', 'example', { 'linux.resources.cpu.shares': -1 }],
  ['blockIO weight above uint16', 'example', { 'linux.resources.blockIO.weight': 70000 }],
  ['hugepage size in lower case', 'example', { 'linux.resources.hugepageLimits.0.pageSize': '2mb' }],
  ['device cgroup rule without allow', 'example', { 'linux.resources.devices.0.allow': DROP }],
  ['network priority without name', 'example', { 'linux.resources.network.priorities.0.name': DROP }],
  ['sysctl value a number', 'example', { 'linux.sysctl.shmmax': 1 }],
  ['rootfsPropagation rshared', 'example', { 'linux.rootfsPropagation': 'rshared' }],
  ['seccomp defaultAction unknown', 'example', { 'linux.seccomp.defaultAction': 'SCMP_ACT_DENY' }],
  ['seccomp defaultAction dropped', 'example', { 'linux.seccomp.defaultAction': DROP }],
  ['seccomp architecture unknown', 'example', { 'linux.seccomp.architectures': ['x86_64'] }],
  ['seccomp syscall without names', 'example', { 'linux.seccomp.syscalls.0.names': [] }],
  ['seccomp arg operator unknown', 'example', { 'linux.seccomp.syscalls.0.args': [{ index: 0, value: 1, op: 'SCMP_CMP_IN' }] }],
  ['timeOffsets nanosecs negative', 'example', { 'linux.timeOffsets.monotonic.nanosecs': -1 }],
  ['memBwSchema without MB:', 'example', { 'linux.intelRdt': { memBwSchema: 'L3:0=ff' } }],
  ['personality domain unknown', 'example', { 'linux.personality': { domain: 'SVR4' } }],
  ['memoryPolicy mode unknown', 'example', { 'linux.memoryPolicy': { mode: 'MPOL_SOMETIMES' } }],
];

// Deliberate differences, each backed by a sentence of the spec text that the upstream schema does not encode.
// 'stricter': we reject what upstream accepts; 'looser': we accept what upstream rejects.
const DIFFERENT: [...Mutation, 'stricter' | 'looser', string][] = [
  ['ociVersion not SemVer', 'minimal', { ociVersion: '1.0' }, 'stricter', 'config.md: ociVersion "MUST be in SemVer v2.0.0 format"'],
  ['root dropped', 'minimal', { root: DROP }, 'stricter', 'config.md root: "On all other platforms, this field is REQUIRED."'],
  ['args empty', 'example', { 'process.args': [] }, 'stricter', 'config.md args: "at least one entry is REQUIRED (non-Windows)"'],
  ['args dropped', 'example', { 'process.args': DROP }, 'stricter', 'config.md args: "at least one entry is REQUIRED (non-Windows)"'],
  ['cwd relative', 'example', { 'process.cwd': 'root' }, 'stricter', 'config.md cwd: "This value MUST be an absolute path."'],
  ['user without uid', 'example', { 'process.user.uid': DROP }, 'stricter', 'config.md POSIX user: "uid (int, REQUIRED)"'],
  ['rlimit type unknown', 'example', { 'process.rlimits.0.type': 'RLIMIT_FOO' }, 'stricter', 'config.md rlimits: Linux values are those of getrlimit(2); "MUST generate an error for any values which cannot be mapped"'],
  ['capability not a CAP_ name', 'example', { 'process.capabilities.ambient': ['net_bind_service'] }, 'stricter', 'config.md capabilities: "Valid values are defined in the capabilities(7) man page, such as CAP_CHOWN"'],
  ['ioPriority without priority', 'example', { 'process.ioPriority': { class: 'IOPRIO_CLASS_BE' } }, 'stricter', 'config.md ioPriority: "priority (int, REQUIRED)"'],
  ['ioPriority priority 8', 'example', { 'process.ioPriority': { class: 'IOPRIO_CLASS_BE', priority: 8 } }, 'stricter', 'config.md ioPriority: "ranging from 0 (highest) to 7 (lowest)"'],
  ['execCPUAffinity with spaces', 'example', { 'process.execCPUAffinity': { initial: '0, 1' } }, 'stricter', 'config.md execCPUAffinity: "a comma-separated list, with dashes to represent ranges"'],
  ['hook path relative', 'example', { 'hooks.poststop.0.path': 'cleanup.sh' }, 'stricter', 'config.md hooks: "path MUST be absolute"'],
  ['mount uidMappings without gidMappings', 'example', { 'mounts.0.uidMappings': [{ containerID: 0, hostID: 1000, size: 1 }] }, 'stricter', 'config.md mounts uidMappings: "it MUST be specified along with gidMappings"'],
  ['annotation with an empty key', 'example', { 'annotations.': 'x' }, 'stricter', 'config.md annotations: "Keys MUST NOT be an empty string."'],
  ['namespace path relative', 'example', { 'linux.namespaces.0.path': 'proc/1/ns/pid' }, 'stricter', 'config-linux.md namespaces path: "This value MUST be an absolute path"'],
  ['device path relative', 'example', { 'linux.devices.0.path': 'dev/fuse' }, 'stricter', 'config-linux.md devices path: "full path to device inside container"'],
  ['char device without major', 'example', { 'linux.devices.0.major': DROP }, 'stricter', 'config-linux.md devices: "major, minor (int64, REQUIRED unless type is p)"'],
  ['maskedPaths relative', 'example', { 'linux.maskedPaths': ['proc/kcore'] }, 'stricter', 'config-linux.md maskedPaths: "The values MUST be absolute paths"'],
  ['readonlyPaths relative', 'example', { 'linux.readonlyPaths': ['proc/sys'] }, 'stricter', 'config-linux.md readonlyPaths: "The values MUST be absolute paths"'],
  ['memory limit -2', 'example', { 'linux.resources.memory.limit': -2 }, 'stricter', 'config-linux.md memory: "the limit in bytes, or -1 for unlimited memory"'],
  ['pids limit -2', 'example', { 'linux.resources.pids.limit': -2 }, 'stricter', 'config-linux.md pids limit: "with -1 indicating no limit"'],
  ['swappiness 101', 'example', { 'linux.resources.memory.swappiness': 101 }, 'stricter', 'config-linux.md swappiness: "The values are from 0 to 100."'],
  ['cpus not a list', 'example', { 'linux.resources.cpu.cpus': 'two' }, 'stricter', 'config-linux.md cpus: "a comma-separated list, with dashes to represent ranges"'],
  ['cpu idle 2', 'example', { 'linux.resources.cpu.idle': 2 }, 'stricter', 'config-linux.md idle: "0: default behavior, 1: SCHED_IDLE"'],
  ['device cgroup type x', 'example', { 'linux.resources.devices.1.type': 'x' }, 'stricter', 'config-linux.md allowed device list type: "a (all), c (char), or b (block)"'],
  ['device cgroup access rwx', 'example', { 'linux.resources.devices.1.access': 'rwx' }, 'stricter', 'config-linux.md access: "A composition of r (read), w (write), and m (mknod)"'],
  ['weightDevice without weights', 'example', { 'linux.resources.blockIO.weightDevice.1.weight': DROP }, 'stricter', 'config-linux.md weightDevice: "You MUST specify at least one of weight or leafWeight"'],
  ['throttle without rate', 'example', { 'linux.resources.blockIO.throttleReadBpsDevice.0.rate': DROP }, 'stricter', 'config-linux.md throttle*: "rate (uint64, REQUIRED)"'],
  ['rdma entry without limits', 'minimal', { linux: { resources: { rdma: { mlx5_1: {} } } } }, 'stricter', 'config-linux.md rdma: "You MUST specify at least one of the hcaHandles or hcaObjects"'],
  ['personality without domain', 'example', { 'linux.personality': { flags: [] } }, 'stricter', 'config-linux.md personality: "domain (string, REQUIRED)"'],
  ['personality with a flag', 'example', { 'linux.personality': { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] } }, 'stricter', 'config-linux.md personality flags: "Currently no flag values are supported."'],
  ['memoryPolicy without mode', 'example', { 'linux.memoryPolicy': { nodes: '0' } }, 'stricter', 'config-linux.md memoryPolicy: "mode (string, REQUIRED)"'],
  ['listenerMetadata without listenerPath', 'example', { 'linux.seccomp.listenerMetadata': 'x' }, 'stricter', 'config-linux.md seccomp: listenerMetadata "MUST NOT be set if listenerPath is not set"'],
  ['schemata line with a newline', 'example', { 'linux.intelRdt': { schemata: ['L3:0=f\nMB:0=20'] } }, 'stricter', 'config-linux.md intelRdt schemata: "The value MUST NOT contain newlines."'],
  ['pids without limit', 'example', { 'linux.resources.pids': {} }, 'looser', 'config-linux.md pids: "limit (int64, OPTIONAL)"'],
  ['device fileMode with setuid bits', 'example', { 'linux.devices.0.fileMode': 0o4666 }, 'looser', 'config-linux.md devices: "fileMode (uint32, OPTIONAL)"'],
];

type Upstream = (kind: 'config' | 'state' | 'features', doc: unknown) => boolean;
let upstreamCache: Upstream | undefined;

/** The upstream draft-04 schemas, compiled at test time. They use nothing that differs between draft-04 and
 * draft-07, so ajv's default class loads them once their $schema is dropped (no ajv-draft-04 needed). */
function upstreamValidator(): Upstream {
  if (upstreamCache) return upstreamCache;
  const ajv = new AjvModule.default({ strict: false, allErrors: false });
  const dir = join(SHARED, 'schema');
  const base = 'https://upstream.invalid/';
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const { $schema: _, ...schema } = readJson(join(dir, file));
    ajv.addSchema({ ...schema, $id: base + file });
  }
  // The v1.3 schema refers to platform files that shared/ does not hold; those platforms are not under test.
  for (const platform of ['solaris', 'windows', 'vm', 'zos', 'freebsd']) {
    const id = `${base}config-${platform}.json`;
    if (!ajv.getSchema(id)) ajv.addSchema({ $id: id, [platform]: { type: 'object' } });
  }
  const files = { config: 'config-schema.json', state: 'state-schema.json', features: 'features-schema.json' };
  return (upstreamCache = (kind, doc) => (ajv.getSchema(base + files[kind]) as (d: unknown) => boolean)(doc));
}

const bases = (): Record<Base, Json> => ({ example: fixture('config', 'spec-example.json'), minimal: fixture('config', 'minimal.json') });

test('our config schema and the upstream one give the same verdict on mutated configs', { skip: noShared }, () => {
  const [upstream, base] = [upstreamValidator(), bases()];
  for (const [mutations, valid] of [[BOTH_ACCEPT, true], [BOTH_REJECT, false]] as const) {
    for (const [name, from, edits] of mutations) {
      const doc = mutate(base[from], edits);
      const ours = verdict('config', doc);
      assert.deepEqual({ ours: ours === 'valid', upstream: upstream('config', doc) }, { ours: valid, upstream: valid }, `${name}: ${ours}`);
    }
  }
  assert.ok(BOTH_ACCEPT.length + BOTH_REJECT.length >= 40);
});

test('deliberate differences from the upstream schema are exactly the listed ones', { skip: noShared }, () => {
  const [upstream, base] = [upstreamValidator(), bases()];
  for (const [name, from, edits, how, because] of DIFFERENT) {
    const doc = mutate(base[from], edits);
    const ours = verdict('config', doc) === 'valid';
    assert.deepEqual({ ours, upstream: upstream('config', doc) }, { ours: how === 'looser', upstream: how === 'stricter' }, `${name} (${because})`);
  }
});

test('state and features: agreement with upstream, and the listed differences', { skip: noShared }, () => {
  const upstream = upstreamValidator();
  const state = fixture('state', 'spec-example.json');
  const runc = fixture('features', 'runc.json');
  const cases: [DocumentKind & ('state' | 'features'), Json, 'same' | 'stricter' | 'looser', string][] = [
    ['state', mutate(state, { id: DROP }), 'same', ''],
    ['state', mutate(state, { status: 'exploded' }), 'same', ''],
    ['state', mutate(state, { pid: -1 }), 'same', ''],
    ['state', mutate(state, { status: 'stopped', pid: DROP }), 'same', ''],
    ['state', mutate(state, { pid: DROP }), 'stricter', 'runtime.md: pid "REQUIRED when status is created or running on Linux"'],
    ['state', mutate(state, { bundle: 'containers/redis' }), 'stricter', 'runtime.md: bundle "is the absolute path"'],
    ['state', mutate(state, { status: 'paused' }), 'looser', 'runtime.md: "Additional values MAY be defined by the runtime" (runc and tsrun report paused)'],
    ['features', mutate(runc, { ociVersionMax: DROP }), 'same', ''],
    ['features', mutate(runc, { 'linux.seccomp.actions': ['SCMP_ACT_NOPE'] }), 'same', ''],
    ['features', mutate(runc, { 'linux.namespaces': ['pidns'] }), 'same', ''],
    ['features', mutate(runc, { 'linux.cgroup.v2': 'yes' }), 'same', ''],
    ['features', mutate(runc, { 'linux.apparmor': null }), 'looser', 'features.md: properties "MAY either be absent or have the null value"'],
    ['features', mutate(runc, { 'linux.cgroups': {} }), 'stricter', 'features.md: "MUST NOT contain properties that are not defined in this version"'],
    ['features', mutate(runc, { hooks: ['prestop'] }), 'stricter', 'features.md hooks: "The recognized names of the hooks"'],
  ];
  for (const [kind, doc, how, because] of cases) {
    const ours = verdict(kind, doc) === 'valid';
    const theirs = upstream(kind, doc);
    if (how === 'same') assert.equal(ours, theirs, `${kind} ${JSON.stringify(doc)}`);
    else assert.deepEqual({ ours, theirs }, { ours: how === 'looser', theirs: how === 'stricter' }, because);
  }
});

// --- loadBundle / loadProcess ----------------------------------------------------------------------------------

const CONFIG = { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } } };

/** A bundle in a fresh tmpdir (realpath'd), with config.json holding `config` (a string is written as is). */
async function tmpBundle(config: Json | string | undefined, { rootfs = true } = {}): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'tsrun-config-')));
  test.after(() => rm(dir, { recursive: true, force: true }));
  if (rootfs) await mkdir(join(dir, 'rootfs'));
  if (config !== undefined) await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

async function loadError(bundle: string, options?: { requireProcess?: boolean }): Promise<string> {
  try {
    await loadBundle(bundle, options);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'invalid_config');
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  return 'loaded';
}

test('loadBundle returns the spec, the real bundle path and the rootfs resolved against it', async () => {
  const dir = await tmpBundle(CONFIG);
  const link = `${dir}-link`;
  await symlink(dir, link);
  test.after(() => rm(link, { force: true }));
  const loaded = await loadBundle(link);
  assert.equal(loaded.bundle, dir);
  assert.equal(loaded.rootfs, join(dir, 'rootfs'));
  assert.deepEqual(loaded.spec.process?.args, ['sh']);

  const absolute = await tmpBundle({ ...CONFIG, root: { path: join(dir, 'rootfs') } }, { rootfs: false });
  assert.equal((await loadBundle(absolute)).rootfs, join(dir, 'rootfs'));

  // No user object: uid 0, gid 0, as with runc.
  const noUser = await tmpBundle({ ...CONFIG, process: { cwd: '/', args: ['sh'] } });
  assert.deepEqual((await loadBundle(noUser)).spec.process?.user, { uid: 0, gid: 0 });
});

test('loadBundle errors name the bundle, the file or the field', async () => {
  const missing = join(await tmpBundle(undefined), 'nope');
  assert.equal(await loadError(missing), `bundle ${missing}: no such directory`);

  const empty = await tmpBundle(undefined);
  assert.equal(await loadError(empty), `${empty}/config.json: no such file`);

  assert.match(await loadError(await tmpBundle('{"ociVersion": "1.3.0",\n}')), /^config\.json: invalid JSON: .+/);

  const noRootfs = await tmpBundle(CONFIG, { rootfs: false });
  assert.equal(await loadError(noRootfs), `config.json: root.path: ${noRootfs}/rootfs: no such directory`);
  const fileRootfs = await tmpBundle({ ...CONFIG, root: { path: 'config.json' } });
  assert.equal(await loadError(fileRootfs), `config.json: root.path: ${fileRootfs}/config.json: no such directory`);

  const cases: [Json, string][] = [
    [{ ...CONFIG, linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'pid' }] } }, 'config.json: linux.namespaces: duplicate namespace type "pid"'],
    [{ ...CONFIG, process: undefined }, 'config.json: process: required to create a container'],
    [{ ...CONFIG, linux: { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } }, 'config.json: linux.uidMappings: given without a user namespace'],
    [{ ...CONFIG, linux: { namespaces: [{ type: 'user' }] } }, 'config.json: linux.uidMappings: required with a new user namespace'],
    [
      { ...CONFIG, linux: { namespaces: [{ type: 'user' }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] } },
      'config.json: linux.gidMappings: required with a new user namespace',
    ],
    [{ ...CONFIG, mounts: [{ destination: '/data', source: '/srv', options: ['rbind', 'idmap'] }] }, 'config.json: mounts[0].options: "idmap" needs uidMappings and gidMappings or a user namespace'],
    [{ ...CONFIG, linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 } } }, 'config.json: linux.seccomp.defaultErrnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW'],
    [{ ...CONFIG, process: { ...CONFIG.process, user: { uid: 0 } } }, "config.json: process.user: must have required property 'gid'"],
  ];
  for (const [config, message] of cases) assert.equal(await loadError(await tmpBundle(config)), message);
});

test('loadBundle accepts what the semantic checks allow', async () => {
  const userns = {
    ...CONFIG,
    linux: {
      namespaces: [{ type: 'user' }, { type: 'mount' }],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      seccomp: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: ['kill'], action: 'SCMP_ACT_TRACE', errnoRet: 1 }] },
    },
    mounts: [{ destination: '/data', source: '/srv', options: ['rbind', 'idmap'] }],
  };
  assert.equal(await loadError(await tmpBundle(userns)), 'loaded');
  const joined = { ...CONFIG, linux: { namespaces: [{ type: 'user', path: '/proc/1/ns/user' }] } };
  assert.equal(await loadError(await tmpBundle(joined)), 'loaded');
  assert.equal(await loadError(await tmpBundle({ ...CONFIG, process: undefined }), { requireProcess: false }), 'loaded');
});

test('loadProcess validates process.json and names the file as given', async () => {
  const dir = await tmpBundle(undefined);
  const file = join(dir, 'process.json');
  await writeFile(file, JSON.stringify({ cwd: '/', args: ['ls', '-l'], env: ['A=1'] }));
  assert.deepEqual(await loadProcess(file), { cwd: '/', args: ['ls', '-l'], env: ['A=1'], user: { uid: 0, gid: 0 } });

  await writeFile(file, JSON.stringify({ cwd: '/', args: ['ls'], user: { uid: 0, gid: 0, additionalGids: ['wheel'] } }));
  await assert.rejects(loadProcess(file), { message: `${file}: user.additionalGids[0]: must be integer` });
  await assert.rejects(loadProcess(join(dir, 'none.json')), { message: `${join(dir, 'none.json')}: no such file` });
});
