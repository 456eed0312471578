// The seccomp compiler is a pure function: these tests run what it emits in a small BPF interpreter against
// synthetic seccomp_data, and pin one program's code as a golden disassembly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { describe, it } from 'node:test';
import { compileSeccomp } from '../../runtime/src/seccomp/compile.js';
import { seccompOp } from '../../runtime/src/seccomp/op.js';
import { AUDIT_ARCH } from '../../runtime/src/seccomp/arch.js';
import { checkProgram, decode, disassemble, retName, runFilter } from '../../runtime/src/seccomp/bpf.js';
import { FILTER_FLAGS, type LinuxSeccomp, type LinuxSeccompArg, type LinuxSyscall } from '../../runtime/src/seccomp/types.js';
import { kernelHasFlag, kernelHasFlags, missingFlags } from '../../runtime/src/seccomp/kernel.js';
import { features } from '../../runtime/src/config/features.js';

const kernelAtLeast = (major: number, minor: number): boolean => {
  const [a = 0, b = 0] = os.release().split('.').map((n) => parseInt(n, 10));
  return a > major || (a === major && b >= minor);
};

const NR = { read: 0, write: 1, kill: 62, personality: 135, exit_group: 231, rt_sigaction: 13 } as const;
const I386 = { socketcall: 102, ipc: 117, socket: 359, personality: 136, read: 3 } as const;
const X32 = { read: 0x40000000, write: 0x40000001, rt_sigaction: 0x40000200 } as const;

/** The verdict's name ("ALLOW", "ERRNO(1)") for one syscall under a profile. */
function verdict(profile: LinuxSeccomp, nr: number, args: bigint[] = [], arch: number = AUDIT_ARCH.X86_64, host?: string): string {
  return retName(runFilter(compileSeccomp(profile, host).program, { nr, arch, args }));
}

const allowBut = (...syscalls: LinuxSyscall[]): LinuxSeccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });
const denyBut = (...syscalls: LinuxSyscall[]): LinuxSeccomp => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls });
const rule = (names: string[], action: string, args?: LinuxSeccompArg[], errnoRet?: number): LinuxSyscall => ({ names, action, args, errnoRet });

describe('seccomp actions', () => {
  it('compiles every action to its SECCOMP_RET value', () => {
    const cases: [string, number | undefined, string][] = [
      ['SCMP_ACT_KILL', undefined, 'KILL_THREAD'],
      ['SCMP_ACT_KILL_THREAD', undefined, 'KILL_THREAD'],
      ['SCMP_ACT_KILL_PROCESS', undefined, 'KILL_PROCESS'],
      ['SCMP_ACT_TRAP', undefined, 'TRAP(0)'],
      ['SCMP_ACT_ERRNO', undefined, 'ERRNO(1)'],
      ['SCMP_ACT_ERRNO', 13, 'ERRNO(13)'],
      ['SCMP_ACT_ERRNO', 0, 'ERRNO(0)'],
      ['SCMP_ACT_TRACE', undefined, 'TRACE(1)'],
      ['SCMP_ACT_TRACE', 42, 'TRACE(42)'],
      ['SCMP_ACT_LOG', undefined, 'LOG'],
      ['SCMP_ACT_NOTIFY', undefined, 'USER_NOTIF'],
    ];
    for (const [action, errnoRet, want] of cases) {
      const p = { ...allowBut(rule(['kill'], action, undefined, errnoRet)), listenerPath: '/run/agent.sock' };
      assert.equal(verdict(p, NR.kill), want, `${action} ${errnoRet}`);
      assert.equal(verdict(p, NR.read), 'ALLOW');
    }
    assert.equal(verdict(denyBut(rule(['read'], 'SCMP_ACT_ALLOW')), NR.read), 'ALLOW');
  });

  it('uses defaultErrnoRet for the default action only', () => {
    const p: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5, syscalls: [rule(['kill'], 'SCMP_ACT_ERRNO'), rule(['read'], 'SCMP_ACT_ALLOW')] };
    assert.equal(verdict(p, NR.write), 'ERRNO(5)');
    assert.equal(verdict(p, NR.kill), 'ERRNO(1)');
    assert.equal(verdict({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 7 }, NR.write), 'TRACE(7)');
  });

  it('sets NEW_LISTENER for notify and maps the profile flags', () => {
    const flags = (p: Partial<LinuxSeccomp>): number => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', ...p }).flags;
    assert.equal(flags({}), 0);
    assert.equal(flags({ flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }), 1 | 2 | 4);
    assert.equal(flags({ syscalls: [rule(['kill'], 'SCMP_ACT_NOTIFY')] }), 8);
    // the kernel refuses WAIT_KILLABLE_RECV without a listener and TSYNC with one unless TSYNC_ESRCH is set
    assert.equal(flags({ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }), 0);
    assert.equal(flags({ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_TSYNC'], syscalls: [rule(['kill'], 'SCMP_ACT_NOTIFY')] }), 1 | 8 | 16 | 32);
  });

  it('refuses, by name, flags the kernel lacks', () => {
    const p: LinuxSeccomp = { ...allowBut(rule(['kill'], 'SCMP_ACT_NOTIFY')), listenerPath: '/run/agent.sock', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] };
    assert.throws(() => seccompOp(p, { hostArch: 'SCMP_ARCH_X86_64', kernelHas: (f) => f === 2 }), {
      message: `config.json: linux.seccomp.flags: not supported by this kernel (${os.release()}): SECCOMP_FILTER_FLAG_NEW_LISTENER (for SCMP_ACT_NOTIFY), SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`,
    });
    assert.equal(seccompOp(p, { hostArch: 'SCMP_ARCH_X86_64', kernelHas: () => true }).op, 'seccomp');
    const f = features((flag) => flag !== FILTER_FLAGS.SECCOMP_FILTER_FLAG_NEW_LISTENER && flag !== FILTER_FLAGS.SECCOMP_FILTER_FLAG_SPEC_ALLOW).linux.seccomp as { actions: string[]; knownFlags: string[]; supportedFlags: string[] };
    assert.ok(!f.actions.includes('SCMP_ACT_NOTIFY') && f.knownFlags.includes('SECCOMP_FILTER_FLAG_SPEC_ALLOW'));
    assert.deepEqual(f.supportedFlags, ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
  });

  it('probes the running kernel for each flag without loading a filter', { skip: kernelAtLeast(5, 19) ? false : 'WAIT_KILLABLE_RECV is from Linux 5.19' }, () => {
    for (const [name, bit] of Object.entries(FILTER_FLAGS)) assert.ok(kernelHasFlag(bit), name);
    assert.equal(kernelHasFlags(1 << 20), false);
    assert.deepEqual(missingFlags(0x3f), []);
    assert.match(readFileSync('/proc/self/status', 'utf8'), /^Seccomp:\s+0$/m);
  });

  it('seccompOp carries the program as hex', () => {
    const p = allowBut(rule(['kill'], 'SCMP_ACT_ERRNO'));
    const op = seccompOp(p, { hostArch: 'SCMP_ARCH_X86_64' });
    assert.equal(op.op, 'seccomp');
    assert.ok(op.op === 'seccomp' && op.program === compileSeccomp(p).program.toString('hex') && op.flags === 0);
  });
});

describe('seccomp argument conditions', () => {
  const EDGES = [
    0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1fffffffen,
    0x1ffffffffn, 0x200000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffff00000000n, 0xffffffff00000001n,
    0xfffffffffffffffen, 0xffffffffffffffffn,
  ];
  const OPS: [string, (a: bigint, v: bigint) => boolean][] = [
    ['SCMP_CMP_EQ', (a, v) => a === v],
    ['SCMP_CMP_NE', (a, v) => a !== v],
    ['SCMP_CMP_LT', (a, v) => a < v],
    ['SCMP_CMP_LE', (a, v) => a <= v],
    ['SCMP_CMP_GT', (a, v) => a > v],
    ['SCMP_CMP_GE', (a, v) => a >= v],
  ];

  it('compares 64-bit values as two halves, right at every boundary', () => {
    for (const [op, holds] of OPS) {
      for (const v of EDGES) {
        const program = decode(compileSeccomp(allowBut(rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 3, value: v, op }]))).program);
        for (const a of EDGES) {
          const got = retName(runFilter(program, { nr: NR.kill, arch: AUDIT_ARCH.X86_64, args: [0n, 0n, 0n, a] }));
          assert.equal(got, holds(a, v) ? 'ERRNO(1)' : 'ALLOW', `${op} arg=${a.toString(16)} value=${v.toString(16)}`);
        }
      }
    }
  });

  it('masked equality masks both the argument and the value (libseccomp)', () => {
    const MASKS = [0n, 0xffn, 0xff00000000n, 0xffffffffn, 0xffffffff00000000n, 0x8000000000000001n, 0xffffffffffffffffn];
    for (const mask of MASKS) {
      for (const want of [0n, 1n, 0x80n, 0x100n, 0x1200000000n, 0x8000000000000000n, 0xffffffffffffffffn]) {
        const program = decode(compileSeccomp(allowBut(rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 0, value: mask, valueTwo: want, op: 'SCMP_CMP_MASKED_EQ' }]))).program);
        for (const a of [...EDGES, 0x80n, 0x1200000080n, 0x8000000000000080n]) {
          const got = retName(runFilter(program, { nr: NR.kill, arch: AUDIT_ARCH.X86_64, args: [a] }));
          assert.equal(got, (a & mask) === (want & mask) ? 'ERRNO(1)' : 'ALLOW', `mask=${mask.toString(16)} want=${want.toString(16)} a=${a.toString(16)}`);
        }
      }
    }
  });

  it('on i386 compares only the low half', () => {
    const p: LinuxSeccomp = { ...allowBut(rule(['personality'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 0x100000008n, op: 'SCMP_CMP_EQ' }])), architectures: ['SCMP_ARCH_X86'] };
    assert.equal(verdict(p, I386.personality, [0xdead00000008n], AUDIT_ARCH.I386), 'ERRNO(1)');
    assert.equal(verdict(p, I386.personality, [9n], AUDIT_ARCH.I386), 'ALLOW');
    assert.equal(verdict(p, NR.personality, [8n]), 'ALLOW', 'x86_64 compares all 64 bits');
    assert.equal(verdict(p, NR.personality, [0x100000008n]), 'ERRNO(1)');
    const lt = { ...allowBut(rule(['personality'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 5, op: 'SCMP_CMP_LT' }])), architectures: ['SCMP_ARCH_X86'] };
    assert.equal(verdict(lt, I386.personality, [0x700000004n], AUDIT_ARCH.I386), 'ERRNO(1)');
  });

  it('on x32 compares only the low half, as libseccomp does for an ILP32 ABI', () => {
    const X32_PERSONALITY = 0x40000087;
    const p: LinuxSeccomp = { ...allowBut(rule(['personality'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 0xffffffff00000005n, op: 'SCMP_CMP_GT' }])), architectures: ['SCMP_ARCH_X32'] };
    assert.equal(verdict(p, X32_PERSONALITY, [6n]), 'ERRNO(1)');
    assert.equal(verdict(p, X32_PERSONALITY, [0xffffffff00000004n]), 'ALLOW');
    assert.equal(verdict(p, NR.personality, [6n]), 'ALLOW', 'x86_64 compares all 64 bits');
    assert.equal(verdict(p, NR.personality, [0xffffffff00000006n]), 'ERRNO(1)');
  });

  it('ANDs the args of a rule and ORs the rules of a syscall', () => {
    const p = allowBut(
      rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 9, op: 'SCMP_CMP_EQ' }]),
      rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 2, value: 7, op: 'SCMP_CMP_GE' }], 2),
    );
    assert.equal(verdict(p, NR.kill, [1n, 9n]), 'ERRNO(1)');
    assert.equal(verdict(p, NR.kill, [1n, 8n]), 'ALLOW');
    assert.equal(verdict(p, NR.kill, [2n, 9n]), 'ALLOW');
    assert.equal(verdict(p, NR.kill, [2n, 9n, 7n]), 'ERRNO(2)');
    assert.equal(verdict(p, NR.kill, [1n, 9n, 7n]), 'ERRNO(1)', 'the first matching rule decides');
  });

  it('splits a rule with two conditions on one argument into ORed rules, as runc does', () => {
    const p = allowBut(rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' }]));
    assert.equal(verdict(p, NR.kill, [1n]), 'ERRNO(1)');
    assert.equal(verdict(p, NR.kill, [2n]), 'ERRNO(1)');
    assert.equal(verdict(p, NR.kill, [3n]), 'ALLOW');
  });

  it('lets an unconditional rule decide its syscall, and drops rules that repeat the default', () => {
    const p = allowBut(rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }]), rule(['kill'], 'SCMP_ACT_LOG'));
    assert.equal(verdict(p, NR.kill, [1n]), 'LOG');
    const q = allowBut(rule(['kill'], 'SCMP_ACT_ALLOW'), rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }]));
    assert.equal(verdict(q, NR.kill, [1n]), 'ERRNO(1)', 'the ALLOW rule repeats the default and is dropped');
  });
});

describe('seccomp architectures', () => {
  it('gives an unlisted architecture KILL_THREAD, libseccomp and runc default', () => {
    const p = denyBut(rule(['read'], 'SCMP_ACT_ALLOW'));
    assert.equal(verdict(p, I386.read, [], AUDIT_ARCH.I386), 'KILL_THREAD');
    assert.equal(verdict(p, 0, [], AUDIT_ARCH.AARCH64), 'KILL_THREAD');
    assert.equal(verdict({ ...p, architectures: ['SCMP_ARCH_X86'] }, I386.read, [], AUDIT_ARCH.I386), 'ALLOW');
    assert.equal(verdict({ ...p, architectures: ['SCMP_ARCH_AARCH64'] }, 63, [], AUDIT_ARCH.AARCH64), 'KILL_THREAD', 'not a host ABI');
  });

  it('kills x32 syscalls on x86_64 unless SCMP_ARCH_X32 is listed; lets nr -1 through', () => {
    const p = denyBut(rule(['read', 'rt_sigaction'], 'SCMP_ACT_ALLOW'));
    assert.equal(verdict(p, X32.read), 'KILL_THREAD');
    assert.equal(verdict(p, 0x7fffffff), 'KILL_THREAD');
    assert.equal(verdict(p, 0xffffffff), 'ERRNO(1)');
    const q = { ...p, architectures: ['SCMP_ARCH_X32'] };
    assert.equal(verdict(q, X32.read), 'ALLOW');
    assert.equal(verdict(q, X32.rt_sigaction), 'ALLOW');
    assert.equal(verdict(q, X32.write), 'ERRNO(1)');
    assert.equal(verdict(q, NR.read), 'ALLOW');
    assert.equal(verdict(q, NR.rt_sigaction), 'ALLOW');
    assert.equal(verdict(q, 0x200), 'ERRNO(38)', 'x32 numbers mean nothing without the x32 bit');
  });

  it('on i386 also filters socket and IPC calls that come through socketcall(2) and ipc(2)', () => {
    const p: LinuxSeccomp = { ...allowBut(rule(['socket'], 'SCMP_ACT_ERRNO', [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }]), rule(['shmget'], 'SCMP_ACT_ERRNO', undefined, 5)), architectures: ['SCMP_ARCH_X86'] };
    const on386 = (nr: number, args: bigint[]): string => verdict(p, nr, args, AUDIT_ARCH.I386);
    assert.equal(on386(I386.socket, [16n, 0n, 9n]), 'ERRNO(1)');
    assert.equal(on386(I386.socket, [2n, 0n, 9n]), 'ALLOW');
    // libseccomp puts the call number where args[0]'s condition was
    assert.equal(on386(I386.socketcall, [1n, 0n, 9n]), 'ERRNO(1)');
    assert.equal(on386(I386.socketcall, [2n, 0n, 9n]), 'ALLOW');
    assert.equal(on386(I386.ipc, [23n]), 'ERRNO(5)');
    assert.equal(on386(I386.ipc, [24n]), 'ALLOW');
  });

  it('compiles for an aarch64 host from its own table', () => {
    const p = denyBut(rule(['read', 'openat'], 'SCMP_ACT_ALLOW'));
    assert.equal(verdict(p, 63, [], AUDIT_ARCH.AARCH64, 'SCMP_ARCH_AARCH64'), 'ALLOW');
    assert.equal(verdict(p, 56, [], AUDIT_ARCH.AARCH64, 'SCMP_ARCH_AARCH64'), 'ALLOW');
    assert.equal(verdict(p, 57, [], AUDIT_ARCH.AARCH64, 'SCMP_ARCH_AARCH64'), 'ERRNO(1)');
    assert.equal(verdict(p, 64, [], AUDIT_ARCH.AARCH64, 'SCMP_ARCH_AARCH64'), 'ERRNO(38)');
    assert.equal(verdict(p, 0, [], AUDIT_ARCH.X86_64, 'SCMP_ARCH_AARCH64'), 'KILL_THREAD');
  });
});

describe('seccomp on other hosts, from their tables', () => {
  it('filters arm (compat) syscalls on an aarch64 host when the profile lists SCMP_ARCH_ARM', () => {
    const p: LinuxSeccomp = { ...denyBut(rule(['read', 'set_tls'], 'SCMP_ACT_ALLOW'), rule(['personality'], 'SCMP_ACT_ALLOW', [{ index: 0, value: 0x100000008n, op: 'SCMP_CMP_EQ' }])), architectures: ['SCMP_ARCH_ARM'] };
    const onArm = (nr: number, args: bigint[] = []): string => verdict(p, nr, args, AUDIT_ARCH.ARM, 'SCMP_ARCH_AARCH64');
    assert.equal(onArm(3), 'ALLOW', 'read');
    assert.equal(onArm(0xf0005), 'ALLOW', 'set_tls, an ARM-private call');
    assert.equal(onArm(4), 'ERRNO(1)', 'write');
    assert.equal(onArm(136, [8n]), 'ALLOW', 'a 32-bit ABI compares the low half');
    assert.equal(onArm(0xf0006), 'ERRNO(38)', 'past the last named syscall');
    assert.equal(verdict(p, 63, [], AUDIT_ARCH.AARCH64, 'SCMP_ARCH_AARCH64'), 'ALLOW', 'aarch64 read');
    assert.equal(verdict({ ...p, architectures: [] }, 3, [], AUDIT_ARCH.ARM, 'SCMP_ARCH_AARCH64'), 'KILL_THREAD', 'arm unlisted');
  });

  for (const [host, audit, read, write] of [
    ['SCMP_ARCH_RISCV64', AUDIT_ARCH.RISCV64, 63, 64],
    ['SCMP_ARCH_PPC64LE', AUDIT_ARCH.PPC64LE, 3, 4],
    ['SCMP_ARCH_LOONGARCH64', AUDIT_ARCH.LOONGARCH64, 63, 64],
  ] as const) {
    it(`compiles for a ${host} host from its own table`, () => {
      const p = denyBut(rule(['read'], 'SCMP_ACT_ALLOW'), rule(['write'], 'SCMP_ACT_ERRNO', undefined, 5));
      assert.equal(verdict(p, read, [], audit, host), 'ALLOW');
      assert.equal(verdict(p, write, [], audit, host), 'ERRNO(5)');
      assert.equal(verdict(p, read, [], AUDIT_ARCH.X86_64, host), 'KILL_THREAD');
    });
  }
});

describe('seccomp syscall names and the -ENOSYS stub', () => {
  it('skips names the table does not know', () => {
    const p = denyBut(rule(['no_such_syscall', 'read', 'socketcall'], 'SCMP_ACT_ALLOW'));
    assert.equal(verdict(p, NR.read), 'ALLOW');
    assert.equal(verdict(p, NR.write), 'ERRNO(1)');
  });

  it('answers ENOSYS above the largest syscall the profile names, per ABI', () => {
    const p: LinuxSeccomp = { ...denyBut(rule(['read', 'personality'], 'SCMP_ACT_ALLOW'), rule(['exit_group'], 'SCMP_ACT_ERRNO')), architectures: ['SCMP_ARCH_X86'] };
    // exit_group (231) repeats the default, but still counts, as in runc
    assert.equal(verdict(p, 200), 'ERRNO(1)');
    assert.equal(verdict(p, NR.exit_group), 'ERRNO(1)');
    assert.equal(verdict(p, NR.exit_group + 1), 'ERRNO(38)');
    assert.equal(verdict(p, 0x3fffffff), 'ERRNO(38)');
    assert.equal(verdict(p, 0x80000000), 'ERRNO(38)');
    assert.equal(verdict(p, X32.read), 'KILL_THREAD', 'x32 is still an unlisted ABI');
    assert.equal(verdict(p, I386.personality, [], AUDIT_ARCH.I386), 'ALLOW');
    assert.equal(verdict(p, 252, [], AUDIT_ARCH.I386), 'ERRNO(1)', 'exit_group is 252 on i386');
    assert.equal(verdict(p, 253, [], AUDIT_ARCH.I386), 'ERRNO(38)');
    assert.equal(verdict(p, 0xffffffff, [], AUDIT_ARCH.I386), 'ERRNO(38)');
    assert.equal(verdict({ ...p, defaultAction: 'SCMP_ACT_KILL_PROCESS' }, 500), 'ERRNO(38)');
  });

  it('leaves the stub out when the default lets syscalls through', () => {
    for (const [defaultAction, want] of [['SCMP_ACT_ALLOW', 'ALLOW'], ['SCMP_ACT_LOG', 'LOG'], ['SCMP_ACT_TRACE', 'TRACE(1)']]) {
      assert.equal(verdict({ defaultAction, syscalls: [rule(['read'], 'SCMP_ACT_KILL')] } as LinuxSeccomp, 400), want);
    }
    assert.equal(verdict({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [rule(['read'], 'SCMP_ACT_ALLOW')] }, 400), 'ERRNO(38)');
    assert.equal(verdict({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }, 400), 'ERRNO(38)');
    assert.equal(verdict(denyBut(), 400), 'ERRNO(1)', 'no names: no stub');
  });
});

describe('seccomp validation', () => {
  const bad = (p: unknown, message: string): void => assert.throws(() => compileSeccomp(p as LinuxSeccomp), { message });
  const base = (s: Partial<LinuxSyscall>): LinuxSeccomp => denyBut(rule(['read'], 'SCMP_ACT_ALLOW'), rule(['write'], 'SCMP_ACT_ALLOW'), rule(['close'], 'SCMP_ACT_ALLOW'), { names: ['kill'], action: 'SCMP_ACT_ALLOW', ...s });

  it('names the field of every error', () => {
    bad(base({ action: 'SCMP_ACT_FOO' }), 'config.json: linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"');
    bad({ defaultAction: 'ALLOW' }, 'config.json: linux.seccomp.defaultAction: unknown action "ALLOW"');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_Z80'] }, 'config.json: linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"');
    bad(base({ args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 1, op: 'SCMP_CMP_FOO' }] }), 'config.json: linux.seccomp.syscalls[3].args[1].op: unknown operator "SCMP_CMP_FOO"');
    bad(base({ errnoRet: 1 }), 'config.json: linux.seccomp.syscalls[3].errnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW');
    bad({ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1 }, 'config.json: linux.seccomp.defaultErrnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL');
    bad(base({ action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }), 'config.json: linux.seccomp.syscalls[3].errnoRet: must be an errno from 0 to 65535, not 70000');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, 'config.json: linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_NEW_LISTENER"');
    bad(base({ names: [] }), 'config.json: linux.seccomp.syscalls[3].names: must name at least one syscall');
    bad(base({ args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }), 'config.json: linux.seccomp.syscalls[3].args[0].index: must be an argument index from 0 to 5, not 6');
    bad(base({ args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }), 'config.json: linux.seccomp.syscalls[3].args[0].value: must be an integer from 0 to 2^64-1, not -1');
    bad(base({ args: [{ index: 0, value: '18446744073709551616', op: 'SCMP_CMP_EQ' }] }), 'config.json: linux.seccomp.syscalls[3].args[0].value: must be an integer from 0 to 2^64-1, not 18446744073709551616');
    bad({ defaultAction: 'SCMP_ACT_NOTIFY' }, 'config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action');
    const agent = (p: LinuxSeccomp): LinuxSeccomp => ({ ...p, listenerPath: '/run/agent.sock' });
    bad(agent(base({ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' })), 'config.json: linux.seccomp.syscalls[3].names: SCMP_ACT_NOTIFY cannot be used for the write syscall');
    bad(agent(base({ names: ['sendmsg'], action: 'SCMP_ACT_NOTIFY' })), 'config.json: linux.seccomp.syscalls[3].names: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall');
    bad(base({ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }), 'config.json: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY');
    bad({ ...base({ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }), listenerPath: `/${'x'.repeat(107)}` }, 'config.json: linux.seccomp.listenerPath: longer than the 107 bytes a unix socket address holds');
    bad({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }, 'config.json: linux.seccomp.listenerMetadata: requires listenerPath');
  });

  it('takes uint64 values as numbers, bigints or decimal strings', () => {
    const at = (value: LinuxSeccompArg['value']): string => verdict(allowBut(rule(['kill'], 'SCMP_ACT_ERRNO', [{ index: 0, value, op: 'SCMP_CMP_EQ' }])), NR.kill, [0xffffffffffffffffn]);
    assert.equal(at(18446744073709551615), 'ERRNO(1)', 'JSON.parse rounds 2^64-1 up to 2^64');
    assert.equal(at('18446744073709551615'), 'ERRNO(1)');
    assert.equal(at(0xffffffffffffffffn), 'ERRNO(1)');
    assert.equal(at(0xfffffffffffff800), 'ALLOW');
  });
});

describe('the test BPF machine', () => {
  const insn = (code: number, jt: number, jf: number, k: number) => ({ code, jt, jf, k });
  it('refuses what the kernel refuses', () => {
    assert.match(checkProgram([]) ?? '', /0 instructions/);
    assert.match(checkProgram([insn(0x20, 0, 0, 2), insn(0x06, 0, 0, 0)]) ?? '', /offset 2/);
    assert.match(checkProgram([insn(0x20, 0, 0, 64), insn(0x06, 0, 0, 0)]) ?? '', /offset 64/);
    assert.match(checkProgram([insn(0x15, 1, 0, 0), insn(0x06, 0, 0, 0)]) ?? '', /beyond the end/);
    assert.match(checkProgram([insn(0x20, 0, 0, 0)]) ?? '', /does not end with ret/);
    assert.match(checkProgram([insn(0x28, 0, 0, 0), insn(0x06, 0, 0, 0)]) ?? '', /not allowed/);
  });

  it('runs scratch memory, ALU and X-register jumps like the kernel', () => {
    // A = nr * 3; M[0] = A; X = A; A = arch; A = M[0]; if (A == X) ret A else ret 0
    const program = [
      insn(0x20, 0, 0, 0), insn(0x24, 0, 0, 3), insn(0x02, 0, 0, 0), insn(0x07, 0, 0, 0),
      insn(0x20, 0, 0, 4), insn(0x60, 0, 0, 0), insn(0x1d, 0, 1, 0), insn(0x16, 0, 0, 0), insn(0x06, 0, 0, 0),
    ];
    assert.equal(checkProgram(program), undefined);
    assert.equal(runFilter(program, { nr: 5, arch: 0 }), 15);
    assert.equal(disassemble([insn(0x15, 0, 1, 7), insn(0x06, 0, 0, 0x7fff0000), insn(0x06, 0, 0, 0x50001)]), '0000: jeq 0x7 ? 0001 : 0002\n0001: ret ALLOW\n0002: ret ERRNO(1)');
  });
});
