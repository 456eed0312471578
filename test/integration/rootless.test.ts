// Rootless (issue 4): tsrun run by an unprivileged user the test creates, side by side with runc 1.1. The bundle's
// rootfs belongs to the user and its config comes from `spec --rootless` run as the user; state goes to the user's
// $XDG_RUNTIME_DIR (no --root). Checked from inside (root there, the maps) and from the host (the container's
// processes run as the user's uid, or as the uids of its /etc/subuid range).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { detect } from '../../runtime/src/cgroups/detect.js';
import type { Spec } from '../../runtime/src/config/spec.js';
import { type Bundle, REPO, RUNC, TSRUN, makeBundle } from '../helpers/bundle.js';
import { type TestUser, addSubIds, createUser, userTestBlocker } from '../helpers/user.js';

interface UserRuntime {
  name: string;
  bin: string;
  /** Its default state directory under XDG_RUNTIME_DIR. */
  stateDir: string;
  env?: NodeJS.ProcessEnv;
}

const RUNTIMES: UserRuntime[] = [
  { name: 'tsrun', bin: TSRUN, stateDir: 'tsrun' },
  { name: 'tsrun-node', bin: TSRUN, stateDir: 'tsrun', env: { TSRUN_ENGINE: 'node' } },
  ...(fs.existsSync(RUNC) ? [{ name: 'runc', bin: RUNC, stateDir: 'runc' }] : []),
];

const blocker = userTestBlocker([TSRUN, path.join(REPO, 'dist', 'native', 'tsrun-init'), path.join(REPO, 'node_modules', 'koffi', 'package.json')]);

/** Host ids of a process: real, effective, saved, fs (from /proc/<pid>/status). */
function hostIds(pid: number, which: 'Uid' | 'Gid'): number[] {
  const line = new RegExp(`^${which}:\\s+(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return (line?.[1] ?? '').trim().split(/\s+/).map(Number);
}

const hostCgroups = detect();

/** This process's cgroup directory in every mounted hierarchy (v1 ones and the hybrid cgroup2 mount). */
function ownCgroupDirs(): string[] {
  if (hostCgroups.mode !== 'v1') return [];
  const mounts = [...hostCgroups.mounts.map((m) => ({ m, own: hostCgroups.own[m.controllers[0] ?? ''] })), ...(hostCgroups.unified ? [{ m: hostCgroups.unified, own: hostCgroups.own[''] }] : [])];
  return mounts.filter((x) => x.own !== undefined).map(({ m, own }) => path.join(m.mountPoint, path.relative(m.root, own as string)));
}

const words = (s: string): string => s.trim().split(/\s+/).join(' ');
const sleepMs = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('rootless: an unprivileged user runs containers', { skip: blocker }, () => {
  let user: TestUser;
  const bundles: Bundle[] = [];
  let n = 0;
  const id = (what: string) => `rl-${what}-${process.pid}-${++n}`;

  const as = (r: UserRuntime, args: string[]) => user.run(r.bin, args, { env: r.env });
  const state = (r: UserRuntime, cid: string): { status: string; pid: number; owner?: string } => {
    const res = as(r, ['state', cid]);
    assert.equal(res.status, 0, `${r.name} state ${cid}: ${res.err}`);
    return JSON.parse(res.out);
  };

  /** A bundle owned by the user, with the config `tsrun spec --rootless` writes as the user, running `sh -c script`. */
  const bundle = (script: string, edit?: (s: Spec) => void): Bundle => {
    const b = makeBundle(script);
    bundles.push(b);
    fs.rmSync(path.join(b.dir, 'config.json'));
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, b.dir]);
    const res = user.run(TSRUN, ['spec', '--rootless', '-b', b.dir]);
    assert.equal(res.status, 0, `spec --rootless: ${res.err}`);
    b.spec = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8')) as Spec;
    b.spec.process!.terminal = false;
    b.spec.process!.args = ['sh', '-c', script];
    edit?.(b.spec);
    b.write();
    return b;
  };

  before(() => {
    user = createUser('tsrl');
  });

  after(() => {
    try {
      for (const r of RUNTIMES) {
        for (const cid of as(r, ['list', '-q']).out.split('\n').filter(Boolean)) as(r, ['delete', '-f', cid]);
      }
    } finally {
      user.remove();
      for (const b of bundles) b.remove();
    }
  });

  it('spec --rootless writes what runc spec --rootless writes (but the hostname and version)', { skip: !fs.existsSync(RUNC) && 'runc not installed' }, () => {
    const specs = ['tsrun', 'runc'].map((name) => {
      const dir = path.join(user.xdg, `spec-${name}`);
      fs.mkdirSync(dir);
      fs.chownSync(dir, user.uid, user.gid);
      const res = user.run(name === 'runc' ? RUNC : TSRUN, ['spec', '--rootless', '-b', dir]);
      assert.equal(res.status, 0, `${name} spec --rootless: ${res.err}`);
      const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Spec;
      delete spec.hostname;
      delete (spec as { ociVersion?: string }).ociVersion;
      return spec;
    });
    assert.deepEqual(specs[0], specs[1]);
    const linux = specs[0]?.linux;
    assert.deepEqual(linux?.uidMappings, [{ containerID: 0, hostID: user.uid, size: 1 }]);
    assert.deepEqual(linux?.gidMappings, [{ containerID: 0, hostID: user.gid, size: 1 }]);
    assert.equal(linux?.namespaces?.some((ns) => ns.type === 'network'), false);
  });

  for (const r of RUNTIMES) {
    it(`${r.name}: run gives root inside a user namespace mapping the user's own ids, state under XDG_RUNTIME_DIR`, () => {
      const b = bundle('id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map; cat /proc/self/setgroups; ls -ln /dev/null');
      const cid = id('run');
      const res = as(r, ['run', '-b', b.dir, cid]);
      assert.equal(res.status, 0, res.err);
      const lines = res.out.trim().split('\n');
      assert.deepEqual(lines.slice(0, 5).map(words), ['0', '0', `0 ${user.uid} 1`, `0 ${user.gid} 1`, 'deny'], res.out);
      // mknod is not allowed in a user namespace: /dev/null is the host's, bind-mounted (owned by the unmapped root).
      assert.match(lines[5] ?? '', /^c\S+\s+1\s+65534\s+65534\s+1,\s+3 /, res.out);
      const root = path.join(user.xdg, r.stateDir);
      assert.equal(fs.statSync(root).uid, user.uid, `${root} belongs to the user`);
      assert.equal(fs.existsSync(path.join(root, cid)), false, 'run removes the container');
      assert.equal(fs.existsSync(path.join('/run', r.stateDir, cid)), false, 'nothing under /run');
    });

    it(`${r.name}: create, state, start, exec, kill and delete as the user; the process runs as the user's uid`, () => {
      const b = bundle('exec sleep 1000');
      const cid = id('life');
      const created = as(r, ['create', '-b', b.dir, cid]);
      assert.equal(created.status, 0, created.err);
      let st = state(r, cid);
      assert.equal(st.status, 'created');
      if (r.stateDir === 'tsrun') assert.equal(st.owner, user.name);
      assert.deepEqual(hostIds(st.pid, 'Uid'), [user.uid, user.uid, user.uid, user.uid]);
      assert.deepEqual(hostIds(st.pid, 'Gid'), [user.gid, user.gid, user.gid, user.gid]);
      assert.equal(words(fs.readFileSync(`/proc/${st.pid}/uid_map`, 'utf8')), `0 ${user.uid} 1`);
      assert.notEqual(fs.readlinkSync(`/proc/${st.pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
      // the waiting init is not dumpable (CVE-2019-5736); its namespaces must still be joinable by its owner
      const early = as(r, ['exec', cid, 'id', '-u']);
      assert.equal(early.status, 0, early.err);
      assert.equal(early.out.trim(), '0');
      assert.equal(as(r, ['start', cid]).status, 0);
      st = state(r, cid);
      assert.equal(st.status, 'running');
      const exec = as(r, ['exec', cid, 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
      assert.equal(exec.status, 0, exec.err);
      assert.deepEqual(exec.out.trim().split('\n').map(words), ['0', `0 ${user.uid} 1`]);
      const list = as(r, ['list', '-q']);
      assert.deepEqual(list.out.trim().split('\n'), [cid], list.err);
      const killed = as(r, ['kill', cid, 'KILL']);
      assert.equal(killed.status, 0, killed.err);
      for (let i = 0; i < 300 && state(r, cid).status !== 'stopped'; i++) sleepMs(10);
      assert.equal(state(r, cid).status, 'stopped');
      const deleted = as(r, ['delete', cid]);
      assert.equal(deleted.status, 0, deleted.err);
      assert.equal(fs.existsSync(path.join(user.xdg, r.stateDir, cid)), false);
      assert.notEqual(as(r, ['state', cid]).status, 0);
      assert.deepEqual(user.pids(), []);
    });

    it(`${r.name}: a memory limit without a cgroup the user may create is refused, nothing left behind`, () => {
      const b = bundle('true', (s) => {
        s.linux!.resources = { memory: { limit: 64 << 20 } };
      });
      const cid = id('limit');
      const res = as(r, ['run', '-b', b.dir, cid]);
      assert.notEqual(res.status, 0, res.out);
      if (r.stateDir === 'tsrun') {
        assert.match(res.err, /^tsrun: linux\.resources\.memory: cannot be set: running rootless, the container has no memory cgroup \(cgroup: mkdir \S+: EACCES \(permission denied\)\); delegate one to uid \d+ or leave the limit out\n$/);
      }
      assert.equal(fs.existsSync(path.join(user.xdg, r.stateDir, cid)), false);
      assert.deepEqual(user.pids(), []);
    });

    it(`${r.name}: a linux.cgroupsPath that is not delegated to the user is an error`, () => {
      const b = bundle('true', (s) => {
        s.linux!.cgroupsPath = `/tsrun-rootless-${process.pid}`;
      });
      const res = as(r, ['run', '-b', b.dir, id('path')]);
      assert.notEqual(res.status, 0, res.out);
      if (r.stateDir === 'tsrun') assert.match(res.err, /^tsrun: cgroup: mkdir \S+tsrun-rootless-\d+: EACCES \(permission denied\): running rootless: linux\.cgroupsPath must name a cgroup delegated to this user\n$/);
      assert.deepEqual(user.pids(), []);
    });
  }

  describe('id ranges from /etc/subuid and /etc/subgid (newuidmap, newgidmap)', { skip: !fs.existsSync('/usr/bin/newuidmap') && 'newuidmap not installed (Debian package uidmap)' }, () => {
    let range: ReturnType<typeof addSubIds> | undefined;
    const SIZE = 65536;
    before(() => {
      range = addSubIds(user.name, SIZE);
    });
    after(() => range?.restore());

    for (const r of RUNTIMES) {
      it(`${r.name}: container uid 1000 is host uid start+999; root is the user`, () => {
        const start = range!.start;
        const b = bundle('id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map; cat /proc/self/setgroups; exec sleep 1000', (s) => {
          s.process!.user = { uid: 1000, gid: 1000 };
          s.linux!.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: start, size: SIZE }];
          s.linux!.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: start, size: SIZE }];
        });
        const cid = id('range');
        const logFile = path.join(b.dir, 'out');
        fs.writeFileSync(logFile, '');
        fs.chownSync(logFile, user.uid, user.gid);
        const res = user.run('sh', ['-c', `exec "$0" run -d -b "$1" "$2" > "$3" 2>&1`, r.bin, b.dir, cid, logFile], { env: r.env });
        assert.equal(res.status, 0, fs.readFileSync(logFile, 'utf8'));
        const st = state(r, cid);
        assert.deepEqual(hostIds(st.pid, 'Uid'), [start + 999, start + 999, start + 999, start + 999]);
        assert.deepEqual(hostIds(st.pid, 'Gid'), [start + 999, start + 999, start + 999, start + 999]);
        for (let i = 0; i < 300 && fs.readFileSync(logFile, 'utf8').split('\n').length < 8; i++) sleepMs(10);
        const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map(words);
        assert.deepEqual(lines, ['1000', '1000', `0 ${user.uid} 1`, `1 ${start} ${SIZE}`, `0 ${user.gid} 1`, `1 ${start} ${SIZE}`, 'allow']);
        assert.equal(as(r, ['kill', cid, 'KILL']).status, 0);
        for (let i = 0; i < 300 && state(r, cid).status !== 'stopped'; i++) sleepMs(10);
        assert.equal(as(r, ['delete', cid]).status, 0);
        assert.deepEqual(user.pids(), []);
      });
    }
  });

  describe('cgroups delegated to the user (directories chowned to it, the runtime started inside them)', { skip: hostCgroups.mode !== 'v1' && 'the delegation set-up here is written for cgroup v1 and hybrid hosts' }, () => {
    const delegated: string[] = [];
    before(() => {
      for (const own of ownCgroupDirs()) {
        const dir = path.join(own, `tsrun-rootless-${process.pid}`);
        fs.mkdirSync(dir);
        delegated.push(dir);
        // cpuset: a new cgroup starts with no cpus or mems, and nothing can join it then
        for (const f of ['cpuset.cpus', 'cpuset.mems']) if (fs.existsSync(path.join(dir, f))) fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(own, f)));
        for (const f of ['', 'cgroup.procs', 'tasks', 'cgroup.subtree_control']) if (fs.existsSync(path.join(dir, f))) fs.chownSync(path.join(dir, f), user.uid, user.gid);
      }
    });
    after(() => {
      for (const r of RUNTIMES) for (const cid of as(r, ['list', '-q']).out.split('\n').filter(Boolean)) as(r, ['delete', '-f', cid]);
      user.killAll();
      // Children a failed delete left first; then ours. Only directories this test made.
      for (const dir of delegated) {
        for (const child of fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) fs.rmdirSync(path.join(dir, child.name));
        fs.rmdirSync(dir);
      }
    });

    for (const r of RUNTIMES) {
      it(`${r.name}: the container gets cgroups below the delegated ones, and its limits apply`, () => {
        const b = bundle('exec sleep 1000', (s) => {
          s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 50 } };
        });
        const cid = id('deleg');
        const res = user.run(r.bin, ['run', '-d', '-b', b.dir, cid], { env: r.env, enter: delegated });
        assert.equal(res.status, 0, res.err);
        const st = state(r, cid);
        const memory = delegated.find((d) => d.startsWith('/sys/fs/cgroup/memory/'))!;
        const pids = delegated.find((d) => d.startsWith('/sys/fs/cgroup/pids/'))!;
        assert.ok(fs.readFileSync(`/proc/${st.pid}/cgroup`, 'utf8').includes(`:memory:${memory.slice('/sys/fs/cgroup/memory'.length)}/${cid}\n`));
        assert.equal(fs.readFileSync(path.join(memory, cid, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
        assert.equal(fs.readFileSync(path.join(pids, cid, 'pids.max'), 'utf8').trim(), '50');
        assert.equal(as(r, ['kill', cid, 'KILL']).status, 0);
        for (let i = 0; i < 300 && state(r, cid).status !== 'stopped'; i++) sleepMs(10);
        const deleted = as(r, ['delete', cid]);
        assert.equal(deleted.status, 0, deleted.err);
        for (const dir of delegated) assert.equal(fs.existsSync(path.join(dir, cid)), false, `${dir}/${cid} removed`);
      });
    }
  });

  it('tsrun: without a range in /etc/subuid, newuidmap\'s refusal is the error, and nothing is left behind', () => {
    const b = bundle('true', (s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: 3_500_000_000, size: 1000 }];
    });
    const cid = id('norange');
    const res = as(RUNTIMES[0]!, ['run', '-b', b.dir, cid]);
    assert.equal(res.status, 1);
    assert.match(res.err, /^tsrun: create container process: \/usr\/bin\/newuidmap \d+ failed \(status 1\): newuidmap: uid range \[1-1001\) -> \[3500000000-3500001000\) not allowed\n$/);
    assert.equal(fs.existsSync(path.join(user.xdg, 'tsrun', cid)), false);
    assert.deepEqual(user.pids(), []);
  });
});
