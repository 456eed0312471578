// Compiled programs cached by content hash, in <state root>/@seccomp ('@' cannot start a container id). Every create
// and exec compiles its profile in a fresh process whose JIT is cold: the podman default profile costs about 6 ms on
// Node and 8 ms on Bun that way, a hit about 4 and 3 ms (bench/seccomp.js, README). The key is the sha256 of
// the profile in canonical form (keys sorted; listenerPath and listenerMetadata left out, as they change nothing in the
// program), the host architecture and COMPILER_VERSION. Validation never comes from the cache: the profile is parsed
// every time. A cache that cannot be read or written is no error: the program is compiled.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileSeccomp, type CompiledSeccomp } from './compile.js';
import { parseProfile } from './rules.js';
import type { LinuxSeccomp } from './types.js';

/**
 * Bump when the compiler emits a different program for the same profile. test/unit/seccomp-cache.test.ts pins the
 * output of reference profiles to this value, so a change of output without a bump fails there.
 */
export const COMPILER_VERSION = '2';

/** Entries kept; past this, the least recently written go. */
const MAX_ENTRIES = 64;

/** Where a state root keeps its compiled programs. */
export function seccompCacheDir(root: string): string {
  return path.join(root, '@seccomp');
}

function canonical(v: unknown): string {
  if (typeof v === 'bigint') return `"${v}"`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * sha256 in hex. Loading node:crypto costs about 5 ms on Bun, more than the lookup saves: Bun's built-in hasher
 * instead, and on Node the module only when a key is wanted.
 */
interface BunHasher {
  update(data: string): BunHasher;
  digest(encoding: 'hex'): string;
}

function sha256(text: string): string {
  const bun = (globalThis as { Bun?: { CryptoHasher: new (algorithm: string) => BunHasher } }).Bun;
  if (bun) return new bun.CryptoHasher('sha256').update(text).digest('hex');
  // process.getBuiltinModule: Node 20.16 and later; an older Node 20 goes without the cache
  const crypto = process.getBuiltinModule?.('node:crypto') as typeof import('node:crypto') | undefined;
  if (!crypto) throw new Error('seccomp cache: no sha256 in this engine');
  return crypto.createHash('sha256').update(text).digest('hex');
}

export function cacheKey(profile: LinuxSeccomp, hostArch: string): string {
  const { listenerPath: _path, listenerMetadata: _meta, ...program } = profile;
  return sha256(`${canonical(program)}\0${hostArch}\0${COMPILER_VERSION}`);
}

/** compileSeccomp, with the program taken from / kept in `dir` when one is given. */
export function compileCached(profile: LinuxSeccomp, hostArch: string, dir: string | undefined): CompiledSeccomp {
  if (!dir) return compileSeccomp(profile, hostArch);
  const { flags } = parseProfile(profile);
  let file: string;
  try {
    file = path.join(dir, `${cacheKey(profile, hostArch)}.bpf`);
  } catch {
    return compileSeccomp(profile, hostArch);
  }
  try {
    const program = fs.readFileSync(file);
    if (program.length > 0 && program.length % 8 === 0) return { program, flags };
  } catch {
    // not cached yet
  }
  const compiled = compileSeccomp(profile, hostArch);
  store(dir, file, compiled.program);
  return compiled;
}

function store(dir: string, file: string, program: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // only inside an existing state root: never create the root here, with the wrong mode
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(tmp, program, { mode: 0o600 });
    fs.renameSync(tmp, file);
    prune(dir);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

function prune(dir: string): void {
  const entries = fs.readdirSync(dir).filter((f) => f.endsWith('.bpf'));
  if (entries.length <= MAX_ENTRIES) return;
  const byAge = entries.map((f) => ({ f, t: fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => a.t - b.t);
  for (const { f } of byAge.slice(0, entries.length - MAX_ENTRIES)) fs.rmSync(path.join(dir, f), { force: true });
}
