// Whole profiles through the seccomp compiler: a golden disassembly, programs long enough to need long jumps,
// the containers-common default profile, and random profiles checked against a plain-code statement of the
// semantics (`oracle` below), which the BPF program must agree with on every input.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileSeccomp } from '../../runtime/src/seccomp/compile.js';
import { AUDIT_ARCH, IPCCALLS, SOCKETCALLS } from '../../runtime/src/seccomp/arch.js';
import { RET, checkProgram, decode, disassemble, retName, runFilter, type Insn } from '../../runtime/src/seccomp/bpf.js';
import { fromDockerProfile, type DockerProfile } from '../../runtime/src/seccomp/docker.js';
import { I386 as I386_TABLE } from '../../runtime/src/seccomp/syscalls/i386.js';
import { X32 as X32_TABLE } from '../../runtime/src/seccomp/syscalls/x32.js';
import { X86_64 as X86_64_TABLE } from '../../runtime/src/seccomp/syscalls/x86_64.js';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from '../../runtime/src/seccomp/types.js';

const I386 = I386_TABLE();
const X32 = X32_TABLE();
const X86_64 = X86_64_TABLE();

const GOLDEN = `
0000: ld arch
0001: jeq 0xc000003e ? 0003 : 0002
0002: ret KILL_THREAD
0003: ld nr
0004: jset 0x40000000 ? 0030 : 0005
0005: jge 0x87 ? 0017 : 0006
0006: jge 0x3e ? 0010 : 0007
0007: jge 0x2 ? 0009 : 0008
0008: ret ALLOW
0009: ret ERRNO(1)
0010: jge 0x3f ? 0016 : 0011
0011: ld args[1].lo
0012: and 0xff
0013: jeq 0x9 ? 0014 : 0015
0014: ret ERRNO(3)
0015: ret ERRNO(1)
0016: ret ERRNO(1)
0017: jge 0xe7 ? 0027 : 0018
0018: jge 0x88 ? 0026 : 0019
0019: ld args[0].hi
0020: jgt 0x0 ? 0025 : 0021
0021: jeq 0x0 ? 0022 : 0024
0022: ld args[0].lo
0023: jgt 0x8 ? 0025 : 0024
0024: ret ALLOW
0025: ret ERRNO(1)
0026: ret ERRNO(1)
0027: jge 0xe8 ? 0029 : 0028
0028: ret ALLOW
0029: ret ERRNO(38)
0030: jeq 0xffffffff ? 0032 : 0031
0031: ret KILL_THREAD
0032: ret ERRNO(1)`;

// x86_64 with x86 and x32: one section per audit arch, x32 inside x86_64's behind __X32_SYSCALL_BIT; a 64-bit
// comparison (args[0] >= 2^32 + 8) takes both halves on x86_64 and the low half alone on the 32-bit ABIs
const GOLDEN_ABIS = `
0000: ld arch
0001: jeq 0xc000003e ? 0004 : 0002
0002: jeq 0x40000003 ? 0031 : 0003
0003: ret KILL_THREAD
0004: ld nr
0005: jset 0x40000000 ? 0019 : 0006
0006: jge 0x87 ? 0010 : 0007
0007: jge 0x1 ? 0009 : 0008
0008: ret KILL_PROCESS
0009: ret ALLOW
0010: jge 0x88 ? 0018 : 0011
0011: ld args[0].hi
0012: jgt 0x1 ? 0016 : 0013
0013: jeq 0x1 ? 0014 : 0017
0014: ld args[0].lo
0015: jge 0x8 ? 0016 : 0017
0016: ret ERRNO(22)
0017: ret ALLOW
0018: ret ALLOW
0019: jge 0x40000001 ? 0023 : 0020
0020: jge 0x40000000 ? 0022 : 0021
0021: ret ALLOW
0022: ret KILL_PROCESS
0023: jge 0x40000087 ? 0025 : 0024
0024: ret ALLOW
0025: jge 0x40000088 ? 0030 : 0026
0026: ld args[0].lo
0027: jge 0x8 ? 0028 : 0029
0028: ret ERRNO(22)
0029: ret ALLOW
0030: ret ALLOW
0031: ld nr
0032: jge 0x4 ? 0036 : 0033
0033: jge 0x3 ? 0035 : 0034
0034: ret ALLOW
0035: ret KILL_PROCESS
0036: jge 0x88 ? 0038 : 0037
0037: ret ALLOW
0038: jge 0x89 ? 0043 : 0039
0039: ld args[0].lo
0040: jge 0x8 ? 0041 : 0042
0041: ret ERRNO(22)
0042: ret ALLOW
0043: ret ALLOW`;

const run = (program: Buffer | Insn[], nr: number, args: bigint[] = [], arch: number = AUDIT_ARCH.X86_64): string => retName(runFilter(program, { nr, arch, args }));
const eq = (index: number, value: number): LinuxSeccompArg => ({ index, value, op: 'SCMP_CMP_EQ' });

describe('seccomp programs', () => {
  it('matches the golden disassembly of a small profile', () => {
    const profile: LinuxSeccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_LE' }] },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 3, args: [{ index: 1, value: 0xff, valueTwo: 9, op: 'SCMP_CMP_MASKED_EQ' }] },
      ],
    };
    assert.equal(disassemble(compileSeccomp(profile).program), GOLDEN.trim());
  });

  it('matches the golden disassembly of a profile for x86_64, x86 and x32', () => {
    const profile: LinuxSeccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: '4294967304', op: 'SCMP_CMP_GE' }] },
        { names: ['read'], action: 'SCMP_ACT_KILL_PROCESS' },
      ],
    };
    assert.equal(disassemble(compileSeccomp(profile).program), GOLDEN_ABIS.trim());
  });

  it('bridges jumps longer than 255 instructions', () => {
    const rules = Array.from({ length: 600 }, (_, i): LinuxSyscall => ({ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: i + 1, args: [eq(0, i)] }));
    const program = decode(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: rules }).program);
    assert.equal(checkProgram(program), undefined);
    assert.ok(program.length > 2000 && program.length < 4096, `${program.length} instructions`);
    for (const i of [0, 1, 255, 256, 300, 599]) assert.equal(run(program, X86_64.kill as number, [BigInt(i)]), `ERRNO(${i + 1})`);
    assert.equal(run(program, X86_64.kill as number, [600n]), 'ALLOW');
    assert.equal(run(program, X86_64.read as number), 'ALLOW');
  });

  it('keeps a search tree over every x86_64 syscall correct when its branches are far apart', () => {
    const names = Object.keys(X86_64);
    const syscalls = names.map((n, i): LinuxSyscall => ({ names: [n], action: 'SCMP_ACT_ERRNO', errnoRet: i + 1, args: [eq(1, i)] }));
    const program = decode(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls }).program);
    assert.equal(checkProgram(program), undefined);
    names.forEach((n, i) => {
      assert.equal(run(program, X86_64[n] as number, [0n, BigInt(i)]), `ERRNO(${i + 1})`, n);
      assert.equal(run(program, X86_64[n] as number, [0n, BigInt(i + 1)]), 'ALLOW', n);
    });
  });

  it('refuses a filter over the kernel limit of 4096 instructions', () => {
    const rules = Array.from({ length: 1000 }, (_, i): LinuxSyscall => ({ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [eq(0, i)] }));
    assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: rules }), /^ConfigError: config\.json: linux\.seccomp: the filter needs \d+ BPF instructions, more than the kernel's limit of 4096$/);
  });
});

const PROFILE = '/usr/share/containers/seccomp.json';
const noProfile = existsSync(PROFILE) ? false : `no ${PROFILE} (apt-get install golang-github-containers-common)`;
/** podman's default capabilities: no CAP_SYS_ADMIN, CAP_AUDIT_WRITE or CAP_SYS_PTRACE (podman allows mount, unshare and ptrace to all). */
const PODMAN_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];

describe('the containers-common default profile', { skip: noProfile }, () => {
  const load = (caps: string[]): LinuxSeccomp => fromDockerProfile(JSON.parse(readFileSync(PROFILE, 'utf8')) as DockerProfile, { capabilities: caps });

  it('compiles fast and well under 4096 instructions', (t) => {
    const profile = load(PODMAN_CAPS);
    const start = process.hrtime.bigint();
    const { program } = compileSeccomp(profile);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const insns = decode(program);
    t.diagnostic(`${profile.syscalls?.length} rules, ${new Set(profile.syscalls?.flatMap((s) => s.names)).size} names -> ${insns.length} instructions in ${ms.toFixed(2)} ms`);
    assert.equal(checkProgram(insns), undefined);
    assert.ok(insns.length < 4096);
  });

  it('allows and blocks what the profile says', () => {
    const program = decode(compileSeccomp(load(PODMAN_CAPS)).program);
    const x64 = (name: string, args: bigint[] = []): string => run(program, X86_64[name] as number, args);
    for (const name of ['read', 'write', 'execve', 'clone', 'clone3', 'mount', 'unshare', 'chroot', 'ptrace']) assert.equal(x64(name), 'ALLOW', name);
    for (const name of ['swapon', 'swapoff', 'kexec_load', 'sethostname', 'bpf', 'acct', 'kcmp', 'open_by_handle_at']) assert.equal(x64(name), 'ERRNO(1)', name);
    assert.equal(x64('personality', [8n]), 'ALLOW');
    assert.equal(x64('personality', [0xffffffffn]), 'ALLOW');
    assert.equal(x64('personality', [1n]), 'ERRNO(38)');
    assert.equal(x64('socket', [16n, 3n, 9n]), 'ERRNO(22)', 'netlink audit without CAP_AUDIT_WRITE');
    assert.equal(x64('socket', [2n, 1n, 0n]), 'ALLOW');
    assert.equal(x64('socket', [16n, 3n, 0n]), 'ALLOW');
    assert.equal(run(program, 1000), 'ERRNO(38)');
    assert.equal(run(program, X32.read as number), 'ALLOW');
    assert.equal(run(program, I386.read as number, [], AUDIT_ARCH.I386), 'ALLOW');
    assert.equal(run(program, I386.socketcall as number, [1n], AUDIT_ARCH.I386), 'ALLOW');
    assert.equal(run(program, 63, [], AUDIT_ARCH.AARCH64), 'KILL_THREAD');
    const admin = decode(compileSeccomp(load([...PODMAN_CAPS, 'CAP_SYS_ADMIN', 'CAP_AUDIT_WRITE'])).program);
    assert.equal(run(admin, X86_64.sethostname as number), 'ALLOW');
    assert.equal(run(admin, X86_64.socket as number, [16n, 3n, 9n]), 'ALLOW');
  });

  it('agrees with the oracle on every syscall of every ABI', () => {
    const profile = load(PODMAN_CAPS);
    const program = decode(compileSeccomp(profile).program);
    const argSets = [[], [8n], [16n, 3n, 9n], [0xffffffffn], [1n, 2n, 3n, 4n, 5n, 6n]];
    for (const [arch, table, bit] of [[AUDIT_ARCH.X86_64, X86_64, 0], [AUDIT_ARCH.I386, I386, 0], [AUDIT_ARCH.X86_64, X32, 0]] as const) {
      for (const nr of [...Object.values(table), ...Object.values(table).map((n) => n + 1), bit]) {
        for (const args of argSets) assert.equal(run(program, nr, args, arch), retName(oracle(profile, { nr, arch, args })), `nr ${nr} arch ${arch}`);
      }
    }
  });
});

describe('random profiles', () => {
  it('compile to programs that agree with the oracle', () => {
    const rand = mulberry32(20240611);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    for (let round = 0; round < 300; round++) {
      const profile = randomProfile(rand, pick);
      const program = decode(compileSeccomp(profile).program);
      assert.equal(checkProgram(program), undefined);
      for (let i = 0; i < 200; i++) {
        const arch = pick([AUDIT_ARCH.X86_64, AUDIT_ARCH.X86_64, AUDIT_ARCH.I386, AUDIT_ARCH.AARCH64]);
        const nr = pick(NRS);
        const args = Array.from({ length: 6 }, () => pick(EDGES));
        const got = run(program, nr, args, arch);
        assert.equal(got, retName(oracle(profile, { nr, arch, args })), `round ${round}: nr ${nr} arch ${arch} args ${args}\n${JSON.stringify(profile, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
    }
  });
});

const EDGES = [0n, 1n, 2n, 8n, 9n, 16n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x8000000000000000n, 0xffffffffffffffffn];
const POOL = ['read', 'write', 'close', 'kill', 'personality', 'socket', 'bind', 'send', 'recv', 'shmget', 'semop', 'ipc', 'socketcall', 'rt_sigaction', 'clone3', 'exit_group', 'no_such_call', 'futex', 'mmap'];
const TABLES = { x86_64: X86_64, x86: I386, x32: X32 } as const;
const NRS = [
  ...new Set([
    ...POOL.flatMap((n) => Object.values(TABLES).map((t) => t[n]).filter((v): v is number => v !== undefined).flatMap((v) => [v, v + 1])),
    0, 101, 102, 117, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xc0000000, 0xfffffffe, 0xffffffff,
  ]),
];
const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

function randomProfile(rand: () => number, pick: <T>(xs: readonly T[]) => T): LinuxSeccomp {
  const errnoRet = (action: string): number | undefined => ((action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') && rand() < 0.5 ? pick([0, 1, 13, 38]) : undefined);
  const defaultAction = pick(ACTIONS);
  const syscalls = Array.from({ length: Math.floor(rand() * 30) }, (): LinuxSyscall => {
    const names = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(POOL));
    const action = names.includes('write') || rand() < 0.9 ? pick(ACTIONS) : 'SCMP_ACT_NOTIFY';
    const args = Array.from({ length: Math.floor(rand() * 3) }, (): LinuxSeccompArg => ({ index: pick([0, 1, 2, 5]), value: pick(EDGES), valueTwo: pick(EDGES), op: pick(OPS) }));
    return { names, action, errnoRet: errnoRet(action), args };
  });
  const architectures = ['SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64'].filter(() => rand() < 0.5);
  const listenerPath = syscalls.some((s) => s.action === 'SCMP_ACT_NOTIFY') ? '/run/agent.sock' : undefined;
  return { defaultAction, defaultErrnoRet: errnoRet(defaultAction), architectures, syscalls, listenerPath };
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function act(action: string, errnoRet = 1): number {
  const table: Record<string, number> = {
    SCMP_ACT_KILL: RET.KILL_THREAD, SCMP_ACT_KILL_THREAD: RET.KILL_THREAD, SCMP_ACT_KILL_PROCESS: RET.KILL_PROCESS, SCMP_ACT_TRAP: RET.TRAP,
    SCMP_ACT_ERRNO: RET.ERRNO | errnoRet, SCMP_ACT_TRACE: (RET.TRACE | errnoRet) >>> 0, SCMP_ACT_ALLOW: RET.ALLOW, SCMP_ACT_LOG: RET.LOG, SCMP_ACT_NOTIFY: RET.USER_NOTIF,
  };
  return table[action] as number;
}

/** The semantics of runc + libseccomp written as plain code: what the kernel must answer for one syscall. */
function oracle(p: LinuxSeccomp, d: { nr: number; arch: number; args: bigint[] }): number {
  const def = act(p.defaultAction, p.defaultErrnoRet);
  const listed = new Set(['SCMP_ARCH_X86_64', ...(p.architectures ?? [])]);
  const nr = d.nr >>> 0;
  let abi: keyof typeof TABLES;
  if (d.arch === AUDIT_ARCH.X86_64) abi = nr & 0x40000000 ? 'x32' : 'x86_64';
  else if (d.arch === AUDIT_ARCH.I386 && listed.has('SCMP_ARCH_X86')) abi = 'x86';
  else return RET.KILL_THREAD;
  if (abi === 'x32' && !listed.has('SCMP_ARCH_X32')) return nr === 0xffffffff ? def : RET.KILL_THREAD;
  const table = TABLES[abi];
  const known = (name: string): number | undefined => (Object.hasOwn(table, name) ? table[name] : undefined);
  const named = (p.syscalls ?? []).flatMap((s) => s.names.map(known)).filter((n): n is number => n !== undefined);
  const max = Math.max(-1, ...named);
  const permissive = def === RET.ALLOW || def === RET.LOG || (def & 0xffff0000) >>> 0 === RET.TRACE;
  if (!permissive && max > 0 && nr > max) return RET.ERRNO | 38;
  if (abi === 'x86_64' && nr >= 0x80000000 && !listed.has('SCMP_ARCH_X32')) return RET.KILL_THREAD;

  const width = abi === 'x86_64' ? 0xffffffffffffffffn : 0xffffffffn;
  const candidates: { conds: LinuxSeccompArg[]; action: number }[] = [];
  for (const s of p.syscalls ?? []) {
    const action = act(s.action, s.errnoRet);
    if (action === def) continue;
    const args = s.args ?? [];
    const groups = new Set(args.map((a) => a.index)).size < args.length ? args.map((a) => [a]) : [args];
    for (const name of s.names) {
      for (const g of groups) {
        if (known(name) === nr) candidates.push({ conds: g, action });
        const call = SOCKETCALLS.get(name) ?? IPCCALLS.get(name);
        const via = SOCKETCALLS.has(name) ? 102 : 117;
        if (abi === 'x86' && call !== undefined && nr === via) candidates.push({ conds: [eq(0, call), ...g.filter((c) => c.index !== 0)], action });
      }
    }
  }
  const noop = (c: LinuxSeccompArg): boolean => c.op === 'SCMP_CMP_MASKED_EQ' && (BigInt(c.value) & width) === 0n;
  const holds = (c: LinuxSeccompArg): boolean => {
    const a = (d.args[c.index] ?? 0n) & width;
    const v = BigInt(c.value) & width;
    switch (c.op) {
      case 'SCMP_CMP_EQ': return a === v;
      case 'SCMP_CMP_NE': return a !== v;
      case 'SCMP_CMP_LT': return a < v;
      case 'SCMP_CMP_LE': return a <= v;
      case 'SCMP_CMP_GT': return a > v;
      case 'SCMP_CMP_GE': return a >= v;
      default: return (a & v) === (BigInt(c.valueTwo ?? 0) & v);
    }
  };
  const always = candidates.find((c) => c.conds.every(noop));
  if (always) return always.action;
  return candidates.find((c) => c.conds.every(holds))?.action ?? def;
}
