// The architectures the compiler can filter: the AUDIT_ARCH_* value the kernel puts in seccomp_data.arch, the
// word size (a 32-bit ABI has only the low half of each argument), and the syscall table.
import { lazyBuiltin } from '../lazy-builtin.js';
import type { SeccompArch } from './types.js';
import { X86_64 } from './syscalls/x86_64.js';
import { I386 } from './syscalls/i386.js';
import { X32 } from './syscalls/x32.js';
import { AARCH64 } from './syscalls/aarch64.js';
import { ARM } from './syscalls/arm.js';
import { LOONGARCH64 } from './syscalls/loongarch64.js';
import { PPC64 } from './syscalls/ppc64.js';
import { RISCV64 } from './syscalls/riscv64.js';
import { S390X } from './syscalls/s390x.js';

const os = lazyBuiltin<typeof import('node:os')>('node:os');

export interface ArchDef {
  name: SeccompArch;
  /** AUDIT_ARCH_*: EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000). */
  audit: number;
  bits: 32 | 64;
  syscalls: ReadonlyMap<string, number>;
  /** Where the socket and SysV IPC calls are also reachable through socketcall(2) and ipc(2) (i386). */
  multiplexed?: { socketcall: number; ipc: number };
}

/** An architecture whose syscall table is built on first use: a host compiles for two or three of them at most. */
function arch(def: Omit<ArchDef, 'syscalls'>, load: () => Readonly<Record<string, number>>): ArchDef {
  let syscalls: ReadonlyMap<string, number> | undefined;
  return {
    ...def,
    get syscalls() {
      return (syscalls ??= new Map(Object.entries(load())));
    },
  };
}

export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
  RISCV64: 0xc00000f3,
  PPC64LE: 0xc0000015,
  LOONGARCH64: 0xc0000102,
  S390X: 0x80000016,
} as const;

/** x32 shares AUDIT_ARCH_X86_64 with x86_64; its syscall numbers carry __X32_SYSCALL_BIT. */
export const X32_SYSCALL_BIT = 0x40000000;

const x86_64 = arch({ name: 'SCMP_ARCH_X86_64', audit: AUDIT_ARCH.X86_64, bits: 64 }, X86_64);
// x32 is an ILP32 ABI: libseccomp compares only the low half of its arguments, as on i386
const x32 = arch({ name: 'SCMP_ARCH_X32', audit: AUDIT_ARCH.X86_64, bits: 32 }, X32);
// socketcall and ipc are 102 and 117 in i386's table
const x86 = arch({ name: 'SCMP_ARCH_X86', audit: AUDIT_ARCH.I386, bits: 32, multiplexed: { socketcall: 102, ipc: 117 } }, I386);
const aarch64 = arch({ name: 'SCMP_ARCH_AARCH64', audit: AUDIT_ARCH.AARCH64, bits: 64 }, AARCH64);
const arm = arch({ name: 'SCMP_ARCH_ARM', audit: AUDIT_ARCH.ARM, bits: 32 }, ARM);
const riscv64 = arch({ name: 'SCMP_ARCH_RISCV64', audit: AUDIT_ARCH.RISCV64, bits: 64 }, RISCV64);
const ppc64le = arch({ name: 'SCMP_ARCH_PPC64LE', audit: AUDIT_ARCH.PPC64LE, bits: 64 }, PPC64);
const loongarch64 = arch({ name: 'SCMP_ARCH_LOONGARCH64', audit: AUDIT_ARCH.LOONGARCH64, bits: 64 }, LOONGARCH64);

/**
 * Syscall tables of architectures the compiler cannot target as a host yet, kept as data: s390x is big-endian, and
 * the program's argument offsets and the test interpreter assume a little-endian seccomp_data.
 */
export const TABLES_ONLY = { SCMP_ARCH_S390X: S390X } as const;

/**
 * Per host, the ABIs its kernel can put in seccomp_data, native first. A profile's other architectures can never
 * match on this host, so their filters would be dead code and are left out. An ABI listed here as undefined has no
 * syscall table yet: a profile naming it gets no filter for it, so its syscalls meet the bad-architecture action.
 */
const HOSTS: Partial<Record<SeccompArch, readonly (ArchDef | SeccompArch)[]>> = {
  SCMP_ARCH_X86_64: [x86_64, x86, x32],
  SCMP_ARCH_X86: [x86],
  SCMP_ARCH_AARCH64: [aarch64, arm],
  SCMP_ARCH_ARM: [arm],
  SCMP_ARCH_RISCV64: [riscv64],
  SCMP_ARCH_PPC64LE: [ppc64le],
  SCMP_ARCH_LOONGARCH64: [loongarch64],
};

export function hostAbis(host: string): readonly (ArchDef | SeccompArch)[] | undefined {
  return Object.hasOwn(HOSTS, host) ? HOSTS[host as SeccompArch] : undefined;
}

/** The seccomp architecture of the machine this process runs on. */
export function nativeArch(): SeccompArch {
  switch (process.arch) {
    case 'x64': return 'SCMP_ARCH_X86_64';
    case 'ia32': return 'SCMP_ARCH_X86';
    case 'arm64': return 'SCMP_ARCH_AARCH64';
    case 'arm': return 'SCMP_ARCH_ARM';
    case 'riscv64': return 'SCMP_ARCH_RISCV64';
    case 'loong64': return 'SCMP_ARCH_LOONGARCH64';
    case 'ppc64':
      if (os().endianness() === 'LE') return 'SCMP_ARCH_PPC64LE';
      throw new Error('seccomp: big-endian ppc64 hosts are not supported');
    default: throw new Error(`seccomp: no syscall tables for ${process.arch}`);
  }
}

/**
 * i386 reaches the socket and SysV IPC calls both directly and through socketcall(2)/ipc(2) with the call number
 * in args[0]; libseccomp filters both ways in, and so do we.
 */
export const SOCKETCALLS: ReadonlyMap<string, number> = new Map([
  ['socket', 1], ['bind', 2], ['connect', 3], ['listen', 4], ['accept', 5], ['getsockname', 6], ['getpeername', 7],
  ['socketpair', 8], ['send', 9], ['recv', 10], ['sendto', 11], ['recvfrom', 12], ['shutdown', 13],
  ['setsockopt', 14], ['getsockopt', 15], ['sendmsg', 16], ['recvmsg', 17], ['accept4', 18], ['recvmmsg', 19],
  ['sendmmsg', 20],
]);
export const IPCCALLS: ReadonlyMap<string, number> = new Map([
  ['semop', 1], ['semget', 2], ['semctl', 3], ['semtimedop', 4], ['msgsnd', 11], ['msgrcv', 12], ['msgget', 13],
  ['msgctl', 14], ['shmat', 21], ['shmdt', 22], ['shmget', 23], ['shmctl', 24],
]);
