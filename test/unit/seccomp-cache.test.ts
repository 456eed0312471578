// The cache of compiled seccomp programs: keys, hits, misses, damaged entries, and a pin that makes a change in the
// compiler's output without a bump of COMPILER_VERSION fail here (a stale cache would load the old program).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { COMPILER_VERSION, cacheKey, compileCached } from '../../runtime/src/seccomp/cache.js';
import { compileSeccomp } from '../../runtime/src/seccomp/compile.js';
import type { LinuxSeccomp } from '../../runtime/src/seccomp/types.js';

const PROFILE: LinuxSeccomp = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    { names: ['read', 'write', 'exit_group', 'socket', 'semop'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_LE' }] },
    { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 3, args: [{ index: 1, value: 0xff, valueTwo: 9, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['mmap'], action: 'SCMP_ACT_TRAP', args: [{ index: 2, value: '4294967296', op: 'SCMP_CMP_GT' }, { index: 3, value: 1, op: 'SCMP_CMP_NE' }] },
    { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' },
    { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' },
    { names: ['getpid'], action: 'SCMP_ACT_LOG' },
    { names: ['futex'], action: 'SCMP_ACT_TRACE', errnoRet: 5, args: [{ index: 0, value: 7, op: 'SCMP_CMP_LT' }] },
  ],
  listenerPath: '/run/agent.sock',
};

describe('the seccomp program cache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-seccomp-cache-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keys on the canonical profile, the host architecture and the compiler version, not on the listener', () => {
    const reordered = JSON.parse(JSON.stringify({ syscalls: PROFILE.syscalls, listenerPath: '/elsewhere', defaultErrnoRet: 38, architectures: PROFILE.architectures, defaultAction: PROFILE.defaultAction }));
    assert.equal(cacheKey(reordered, 'SCMP_ARCH_X86_64'), cacheKey(PROFILE, 'SCMP_ARCH_X86_64'));
    assert.equal(cacheKey({ ...PROFILE, listenerMetadata: 'x' }, 'SCMP_ARCH_X86_64'), cacheKey(PROFILE, 'SCMP_ARCH_X86_64'));
    assert.notEqual(cacheKey(PROFILE, 'SCMP_ARCH_AARCH64'), cacheKey(PROFILE, 'SCMP_ARCH_X86_64'));
    assert.notEqual(cacheKey({ ...PROFILE, defaultErrnoRet: 1 }, 'SCMP_ARCH_X86_64'), cacheKey(PROFILE, 'SCMP_ARCH_X86_64'));
  });

  it('stores a compiled program, serves it on the next call, and replaces a damaged entry', () => {
    const cache = path.join(dir, '@seccomp');
    const fresh = compileSeccomp(PROFILE, 'SCMP_ARCH_X86_64');
    assert.deepEqual(compileCached(PROFILE, 'SCMP_ARCH_X86_64', cache), fresh);
    const file = path.join(cache, `${cacheKey(PROFILE, 'SCMP_ARCH_X86_64')}.bpf`);
    assert.deepEqual(fs.readFileSync(file), fresh.program);
    assert.equal(fs.statSync(cache).mode & 0o777, 0o700);
    // a planted entry is what a hit returns: proof that the second call did not compile
    const planted = Buffer.alloc(8, 0x06);
    fs.writeFileSync(file, planted);
    assert.deepEqual(compileCached(PROFILE, 'SCMP_ARCH_X86_64', cache), { program: planted, flags: fresh.flags });
    fs.writeFileSync(file, Buffer.alloc(7));
    assert.deepEqual(compileCached(PROFILE, 'SCMP_ARCH_X86_64', cache), fresh);
    assert.deepEqual(fs.readFileSync(file), fresh.program);
  });

  it('validates the profile on a hit too', () => {
    const cache = path.join(dir, '@seccomp');
    compileCached(PROFILE, 'SCMP_ARCH_X86_64', cache);
    const { listenerPath: _, ...withoutListener } = PROFILE;
    assert.throws(() => compileCached(withoutListener, 'SCMP_ARCH_X86_64', cache), /linux\.seccomp\.listenerPath: required when a rule uses SCMP_ACT_NOTIFY/);
  });

  it('never creates the state root, and compiles when it cannot cache', () => {
    const missing = path.join(dir, 'no-root', '@seccomp');
    assert.deepEqual(compileCached(PROFILE, 'SCMP_ARCH_X86_64', missing), compileSeccomp(PROFILE, 'SCMP_ARCH_X86_64'));
    assert.equal(fs.existsSync(path.join(dir, 'no-root')), false);
  });

  it("pins the compiler's output to COMPILER_VERSION", () => {
    const digest = createHash('sha256');
    for (const arch of ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86']) digest.update(compileSeccomp(PROFILE, arch).program);
    // When this fails, the compiler emits other programs than before: bump COMPILER_VERSION in
    // runtime/src/seccomp/cache.ts (so that no cache serves an old program) and add the new digest under the new
    // version. Never change a digest already recorded: a version stands for one output.
    const PINNED: Record<string, string> = {
      '1': '006f16810ae806bc208412e21f1976c74c303491ada5036f7039ceca61e9bf82',
      // syscall tables up to Linux 7.1: the same for this profile, different for one naming a newer syscall
      '2': '006f16810ae806bc208412e21f1976c74c303491ada5036f7039ceca61e9bf82',
    };
    assert.equal(digest.digest('hex'), PINNED[COMPILER_VERSION], `COMPILER_VERSION ${COMPILER_VERSION}`);
  });
});
