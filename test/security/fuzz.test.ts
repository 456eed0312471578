// Fuzzing the config: mutants of the spec's good fixtures (shared/oci-runtime-spec/fixtures/config/good) and of the
// example config. Most cases go through the path `tsrun create` takes in-process (read, schema validation and the
// rules after it, cgroupsPath, plan compilation, wire encoding); a few hundred run for real with `tsrun run`. tsrun
// never crashes: every failure is a TsrunError with a one-line message (in-process) or a one-line "tsrun: ..." error
// and no stack trace (CLI); a real run leaves no state, cgroup, mount or process behind.
//
// Reproducible: the seed is printed (a diagnostic line) and TSRUN_FUZZ_SEED=<seed> replays it; TSRUN_FUZZ_CASES
// changes the number of cases (default 10,000, of which FUZZ_RUNS run for real).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseCgroupsPath } from '../../runtime/src/cgroups/paths.js';
import { readBundle, verifyBundle } from '../../runtime/src/config/load.js';
import type { Spec } from '../../runtime/src/config/spec.js';
import { TsrunError } from '../../runtime/src/errors.js';
import { toPlan } from '../../runtime/src/plan/compile.js';
import { opWords } from '../../runtime/src/plan/ops.js';
import { encodeWords } from '../../runtime/src/plan/wire.js';
import { REPO, makeBundle, mountsUnder, needRoot, rt, tsrunRuntime } from '../helpers/bundle.js';

const CASES = Number(process.env.TSRUN_FUZZ_CASES ?? 10_000);
const FUZZ_RUNS = Math.min(300, Math.floor(CASES / 20));
const SEED = Number(process.env.TSRUN_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));

/** mulberry32: small, fast, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const VALUES: Json[] = [
  null, true, false, 0, -1, 1, 7, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 63), 1e308, '', ' ', '/', '.', '..', '../../..',
  '/proc/self/fd/3', '/dev/null', 'relative/path', 'a'.repeat(5000), '\u0000', 'x\ny', 'é', 'KEY=value', '=', 'rw',
  'ro', 'bind', 'tmpfs', 'proc', 'nosuid', 'mode=0700', 'CAP_SYS_ADMIN', 'RLIMIT_NOFILE', 'pid', 'mount', 'user',
  [], {}, [''], [null], [0], { a: 1 },
];
const KEYS = [
  'type', 'path', 'destination', 'source', 'options', 'uid', 'gid', 'args', 'env', 'cwd', 'terminal', 'readonly',
  'hostname', 'domainname', 'maskedPaths', 'readonlyPaths', 'devices', 'namespaces', 'uidMappings', 'gidMappings',
  'rlimits', 'capabilities', 'oomScoreAdj', 'umask', 'additionalGids', 'noNewPrivileges', 'rootfsPropagation',
  'timeOffsets', 'resources', 'seccomp', 'x-unknown',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

/** Every container (object or array) in the document with the keys it holds, the root included. */
function containers(doc: Json): { at: Json[] | { [k: string]: Json } }[] {
  const out: { at: Json[] | { [k: string]: Json } }[] = [];
  const walk = (v: Json) => {
    if (v === null || typeof v !== 'object') return;
    out.push({ at: v });
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x);
  };
  walk(doc);
  return out;
}

/** Mostly a value of the same kind as the one it replaces (so more mutants get past the schema), else anything. */
function replacement(old: Json | undefined, r: () => number, value: Json): Json {
  if (r() < 0.4) return value;
  if (typeof old === 'number') return pick(r, VALUES.filter((v) => typeof v === 'number'));
  if (typeof old === 'string') return pick(r, VALUES.filter((v) => typeof v === 'string'));
  if (typeof old === 'boolean') return !old;
  return value;
}

/** One to four random edits: replace, delete, duplicate or insert, anywhere in the document. */
function mutate(doc: Json, r: () => number): Json {
  const copy = structuredClone(doc);
  const n = r() < 0.5 ? 1 : 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const { at } = pick(r, containers(copy));
    const value = r() < 0.15 ? structuredClone(pick(r, containers(copy)).at) : pick(r, VALUES);
    if (Array.isArray(at)) {
      const k = Math.floor(r() * (at.length + 1));
      const what = r();
      if (what < 0.4 && k < at.length) at[k] = structuredClone(replacement(at[k], r, value));
      else if (what < 0.6 && k < at.length) at.splice(k, 1);
      else if (what < 0.8 && at.length > 0) at.splice(k, 0, structuredClone(at[Math.max(0, k - 1)] ?? null));
      else at.splice(k, 0, structuredClone(value));
    } else {
      const keys = Object.keys(at);
      const what = r();
      if (what < 0.5 && keys.length > 0) {
        const key = pick(r, keys);
        at[key] = structuredClone(replacement(at[key], r, value));
      }
      else if (what < 0.7 && keys.length > 0) delete at[pick(r, keys)];
      else at[pick(r, KEYS)] = structuredClone(value);
    }
  }
  return copy;
}

/** Byte-level damage to the JSON text: cut short, a byte flipped, or a character inserted. */
function damage(text: string, r: () => number): string {
  const at = Math.floor(r() * text.length);
  const what = r();
  if (what < 0.3) return text.slice(0, at);
  if (what < 0.6) return text.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(at + 1);
  return text.slice(0, at) + pick(r, ['{', '}', '"', ',', ':', '[', '\\', 'null']) + text.slice(at);
}

function seeds(): { name: string; doc: Json }[] {
  const dir = path.resolve(REPO, '..', 'shared', 'oci-runtime-spec', 'fixtures', 'config', 'good');
  const fromDir = ['/work/shared/oci-runtime-spec/fixtures/config/good', dir].find((d) => fs.existsSync(d));
  const files = fromDir ? fs.readdirSync(fromDir).filter((f) => f.endsWith('.json')).map((f) => path.join(fromDir, f)) : [];
  return [...files, path.join(REPO, 'examples', 'busybox', 'config.json')].map((f) => ({ name: path.basename(f), doc: JSON.parse(fs.readFileSync(f, 'utf8')) as Json }));
}

function oneLine(message: string): boolean {
  return message.length > 0 && !message.includes('\n');
}

const PLAN = {
  id: 'fuzz', fifo: '/run/tsrun/fuzz/exec.fifo', listenFds: 0, preserveFds: 0, noPivot: false, noNewKeyring: false,
  cgroupMode: 'v1' as const, hierarchies: [], warn: () => {},
};

describe(`fuzz: ${CASES} mutated configs (seed ${SEED})`, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fuzz-'));
  fs.mkdirSync(path.join(tmp, 'rootfs'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const all = seeds();

  it(`${CASES - FUZZ_RUNS} cases in-process: a plan or a one-line TsrunError, never a crash`, async (t) => {
    t.diagnostic(`seed ${SEED} (TSRUN_FUZZ_SEED=${SEED} replays it)`);
    const r = prng(SEED);
    const counts = { plans: 0, refused: 0 };
    for (let i = 0; i < CASES - FUZZ_RUNS; i++) {
      const seed = pick(r, all);
      let text: string | undefined;
      let doc: Json | undefined;
      if (r() < 0.1) text = damage(JSON.stringify(seed.doc, null, 1), r);
      else doc = mutate(seed.doc, r);
      const where = `case ${i} (seed ${SEED}, from ${seed.name}): ${text ?? JSON.stringify(doc)?.slice(0, 2000)}`;
      try {
        let raw;
        if (text !== undefined) {
          fs.writeFileSync(path.join(tmp, 'config.json'), text);
          raw = await readBundle(tmp);
        } else {
          raw = { bundle: tmp, doc };
        }
        const { spec, bundle, rootfs } = await verifyBundle(raw as Parameters<typeof verifyBundle>[0]);
        parseCgroupsPath((spec as Spec).linux?.cgroupsPath, 'fuzz');
        const plan = toPlan(spec, { ...PLAN, bundle, rootfs });
        for (const o of plan.ops) encodeWords(opWords(o));
        counts.plans++;
      } catch (e) {
        if (!(e instanceof TsrunError)) assert.fail(`crash (${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}) at ${where}`);
        assert.ok(oneLine(e.message), `not one line: ${JSON.stringify(e.message)} at ${where}`);
        counts.refused++;
      }
    }
    t.diagnostic(`${counts.plans} plans, ${counts.refused} refused`);
  });

  it(`${FUZZ_RUNS} cases run for real: a one-line error or a container, and nothing left behind`, { skip: needRoot }, (t) => {
    t.diagnostic(`seed ${SEED}`);
    const r = prng(SEED ^ 0x5eed);
    const rtm = tsrunRuntime();
    const parent = `tsrun-fuzz-${process.pid}`;
    const b = makeBundle('true');
    const example = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'busybox', 'config.json'), 'utf8')) as Json;
    const cgroupDirs = () => fs.readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h, parent)).filter((d) => fs.existsSync(d));
    const leftovers = (): string[] => {
      const out = [...rt(rtm, ['list', '-q']).out.split('\n').filter(Boolean).map((id) => `state ${id}`)];
      out.push(...mountsUnder(b.dir).map((m) => `mount ${m.split(' ')[4]}`));
      for (const d of cgroupDirs()) out.push(...fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `cgroup ${d}/${e.name}`));
      for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (fs.readlinkSync(`/proc/${pid}/root`).startsWith(b.rootfs)) out.push(`process ${pid}`);
        } catch {
          // gone, or not ours to read
        }
      }
      return out;
    };
    try {
      let ran = 0;
      for (let i = 0; i < FUZZ_RUNS; i++) {
        const spec = mutate(example, r) as { [k: string]: Json };
        // Host-side effects stay out of the runs: hooks and sysctls would act on the host with a namespace taken
        // away, and cgroups go under a parent of this test's own so they can be checked.
        if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
          delete spec.hooks;
          const linux = spec.linux;
          if (linux && typeof linux === 'object' && !Array.isArray(linux)) {
            delete linux.sysctl;
            linux.cgroupsPath = `/${parent}/c${i}`;
            if (Array.isArray(linux.namespaces)) for (const n of linux.namespaces) if (n && typeof n === 'object' && !Array.isArray(n)) delete n.path;
          }
        }
        fs.writeFileSync(path.join(b.dir, 'config.json'), JSON.stringify(spec));
        const id = `fuzz-${process.pid}-${i}`;
        const res = rt(rtm, ['run', '-b', b.dir, id], { timeout: 20_000 });
        const where = `run ${i} (seed ${SEED}): ${JSON.stringify(spec).slice(0, 2000)}`;
        const errors = res.err.split('\n').filter((l) => l.startsWith('tsrun:'));
        assert.doesNotMatch(res.err, /\n\s+at |TypeError|RangeError|ReferenceError|node:internal/, `stack trace: ${res.err} at ${where}`);
        assert.ok(errors.length <= 1, `more than one error line: ${res.err} at ${where}`);
        if (res.status !== 0 && errors.length === 0) assert.ok(res.signal === null, `killed (${res.signal}) at ${where}`);
        if (errors.length === 0) ran++;
        const left = leftovers();
        if (left.length) rt(rtm, ['delete', '-f', id]);
        assert.deepEqual(left, [], `left behind at ${where}`);
      }
      t.diagnostic(`${ran} of ${FUZZ_RUNS} ran a container`);
    } finally {
      for (const d of cgroupDirs()) fs.rmdirSync(d);
      b.remove();
      fs.rmSync(rtm.root, { recursive: true, force: true });
    }
  });
});
