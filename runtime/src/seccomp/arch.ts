// The architectures the compiler can filter: the AUDIT_ARCH_* value the kernel puts in seccomp_data.arch, the
// word size (a 32-bit ABI has only the low half of each argument), and the syscall table.
import type { SeccompArch } from './types.js';
import { X86_64 } from './syscalls/x86_64.js';
import { I386 } from './syscalls/i386.js';
import { X32 } from './syscalls/x32.js';
import { AARCH64 } from './syscalls/aarch64.js';

export interface ArchDef {
  name: SeccompArch;
  /** AUDIT_ARCH_*: EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000). */
  audit: number;
  bits: 32 | 64;
  syscalls: ReadonlyMap<string, number>;
  /** Where the socket and SysV IPC calls are also reachable through socketcall(2) and ipc(2) (i386). */
  multiplexed?: { socketcall: number; ipc: number };
}

const table = (t: Readonly<Record<string, number>>): ReadonlyMap<string, number> => new Map(Object.entries(t));

export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003, AARCH64: 0xc00000b7, ARM: 0x40000028 } as const;

/** x32 shares AUDIT_ARCH_X86_64 with x86_64; its syscall numbers carry __X32_SYSCALL_BIT. */
export const X32_SYSCALL_BIT = 0x40000000;

const x86_64: ArchDef = { name: 'SCMP_ARCH_X86_64', audit: AUDIT_ARCH.X86_64, bits: 64, syscalls: table(X86_64) };
// x32 is an ILP32 ABI: libseccomp compares only the low half of its arguments, as on i386
const x32: ArchDef = { name: 'SCMP_ARCH_X32', audit: AUDIT_ARCH.X86_64, bits: 32, syscalls: table(X32) };
const x86: ArchDef = {
  name: 'SCMP_ARCH_X86',
  audit: AUDIT_ARCH.I386,
  bits: 32,
  syscalls: table(I386),
  multiplexed: { socketcall: I386.socketcall as number, ipc: I386.ipc as number },
};
const aarch64: ArchDef = { name: 'SCMP_ARCH_AARCH64', audit: AUDIT_ARCH.AARCH64, bits: 64, syscalls: table(AARCH64) };

/**
 * Per host, the ABIs its kernel can put in seccomp_data, native first. A profile's other architectures can never
 * match on this host, so their filters would be dead code and are left out. An ABI listed here as undefined has no
 * syscall table yet: a profile naming it gets no filter for it, so its syscalls meet the bad-architecture action.
 */
const HOSTS: Partial<Record<SeccompArch, readonly (ArchDef | SeccompArch)[]>> = {
  SCMP_ARCH_X86_64: [x86_64, x86, x32],
  SCMP_ARCH_X86: [x86],
  SCMP_ARCH_AARCH64: [aarch64, 'SCMP_ARCH_ARM'],
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
