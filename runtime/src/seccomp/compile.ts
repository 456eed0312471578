// The seccomp compiler: linux.seccomp in, a classic BPF program and seccomp(2) flags out. A pure function with no
// libseccomp: its semantics follow runc 1.1 with libseccomp 2.5 (see rules.ts), its layout is our own:
//
//   ld arch
//   jeq AUDIT_ARCH_X86_64 -> x86_64; jeq AUDIT_ARCH_I386 -> i386; ...     one section per ABI the host can run
//   ret KILL_THREAD                                                         any other arch: libseccomp's default
//   x86_64:  ld nr; jset __X32_SYSCALL_BIT -> x32 half
//            binary search over the syscall numbers -> ret, or a leaf of argument rules
//   x32 half: the same over x32's numbers, or, without SCMP_ARCH_X32, KILL_THREAD (nr -1 gets the default)
//   i386:    ld nr; binary search ...
//
// Above the largest syscall the profile names for an ABI, syscalls get -ENOSYS instead of a denying default, as with
// runc's stub: a program probing for a syscall newer than the profile falls back instead of failing. Unlike runc, the
// stub also covers the native ABI when `architectures` is empty (runc adds it only for the listed ones).
import { ConfigError } from '../config/errors.js';
import { X32_SYSCALL_BIT, hostAbis, type ArchDef } from './arch.js';
import { DATA, MAX_INSNS, OP, RET, encode, type Insn } from './bpf.js';
import { Builder, emitSearch, segments, type Label, type Segment } from './codegen.js';
import { ENOSYS, parseProfile, rulesFor, type Profile } from './rules.js';
import type { LinuxSeccomp } from './types.js';

/** libseccomp's default for a syscall from an architecture the filter does not list; runc keeps it. */
const BAD_ARCH = RET.KILL_THREAD;
const U32_MAX = 0xffffffff;

export interface CompiledSeccomp {
  /** struct sock_filter[] as the kernel takes it (little-endian). */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* for seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog). */
  flags: number;
}

export function compileSeccomp(input: LinuxSeccomp, hostArch = 'SCMP_ARCH_X86_64'): CompiledSeccomp {
  const profile = parseProfile(input);
  return { program: encode(build(profile, hostArch)), flags: profile.flags };
}

function build(profile: Profile, hostArch: string): Insn[] {
  const abis = hostAbis(hostArch);
  if (!abis) throw new Error(`seccomp: no syscall tables for host architecture ${hostArch}`);
  const [native] = abis;
  const listed = (a: ArchDef): boolean => a === native || profile.architectures.has(a.name);
  const defs = abis.filter((a): a is ArchDef => typeof a !== 'string' && listed(a));
  const x32 = defs.find((a) => a.name === 'SCMP_ARCH_X32');

  const b = new Builder();
  const sections: { audit: number; start: Label }[] = [];
  for (const arch of [...defs].reverse()) {
    if (arch.name === 'SCMP_ARCH_X32') continue; // shares x86_64's section
    const start = arch.name === 'SCMP_ARCH_X86_64' ? emitX86_64(b, profile, arch, x32) : emitAbi(b, profile, arch);
    sections.unshift({ audit: arch.audit, start });
  }
  let next = b.ret(BAD_ARCH);
  for (const s of [...sections].reverse()) next = b.jump(OP.JEQ, s.audit, s.start, next);
  b.load(DATA.arch);

  const program = b.program();
  if (program.length > MAX_INSNS) {
    throw ConfigError.at('config.json', 'linux.seccomp', `the filter needs ${program.length} BPF instructions, more than the kernel's limit of ${MAX_INSNS}`);
  }
  return program;
}

/** Whether runc's stub covers an ABI: only where the profile names some syscall other than number 0. */
const stubbed = (profile: Profile, maxNamed: number): boolean => profile.enosysStub && maxNamed > 0;

/** What a syscall number above everything the profile names gets. */
function beyond(profile: Profile, maxNamed: number): number {
  return stubbed(profile, maxNamed) ? RET.ERRNO | ENOSYS : profile.defaultAction;
}

function emitAbi(b: Builder, profile: Profile, arch: ArchDef): Label {
  const { byNr, maxNamed } = rulesFor(profile, arch);
  const gap = (lo: number, hi: number): Segment[] => split(lo, hi, maxNamed, profile.defaultAction, beyond(profile, maxNamed));
  emitSearch(b, segments(byNr, 0, U32_MAX, gap), arch.bits === 32);
  return b.load(DATA.nr);
}

/**
 * x86_64 and x32 share AUDIT_ARCH_X86_64; the kernel tells them apart by __X32_SYSCALL_BIT in the syscall number, and
 * so does the filter. Without SCMP_ARCH_X32 in the profile, an x32 syscall is from an unlisted architecture and gets
 * the bad-architecture action, except nr -1, which a tracer uses to skip a syscall (libseccomp lets it through).
 */
function emitX86_64(b: Builder, profile: Profile, x86_64: ArchDef, x32: ArchDef | undefined): Label {
  let x32Half: Label;
  if (x32) {
    const { byNr, maxNamed } = rulesFor(profile, x32);
    const gap = (lo: number, hi: number): Segment[] => split(lo, hi, maxNamed, profile.defaultAction, beyond(profile, maxNamed));
    x32Half = emitSearch(b, segments(byNr, 0, U32_MAX, gap), x32.bits === 32);
  } else {
    const minusOne = b.ret(profile.defaultAction);
    x32Half = b.jump(OP.JEQ, U32_MAX, minusOne, b.ret(BAD_ARCH));
  }

  const { byNr, maxNamed } = rulesFor(profile, x86_64);
  const above = beyond(profile, maxNamed);
  // numbers past 2^31 without the x32 bit: runc's stub answers ENOSYS; otherwise libseccomp treats them as x32
  // (bad architecture) unless the profile lists x32, which puts both ABIs in one filter (default action)
  const high = stubbed(profile, maxNamed) || x32 ? above : BAD_ARCH;
  const gap = (lo: number, hi: number): Segment[] => [
    ...split(lo, Math.min(hi, 0x7fffffff), maxNamed, profile.defaultAction, above),
    ...(hi > 0x7fffffff ? [{ lo: Math.max(lo, 0x80000000), hi, leaf: { ret: high } }] : []),
  ];
  const x64Half = emitSearch(b, segments(byNr, 0, U32_MAX, gap), false);
  b.jump(OP.JSET, X32_SYSCALL_BIT, x32Half, x64Half);
  return b.load(DATA.nr);
}

/** [lo, hi] split at maxNamed into the default below and `above` past it. */
function split(lo: number, hi: number, maxNamed: number, below: number, above: number): Segment[] {
  if (lo > hi) return [];
  if (hi <= maxNamed) return [{ lo, hi, leaf: { ret: below } }];
  if (lo > maxNamed) return [{ lo, hi, leaf: { ret: above } }];
  return [
    { lo, hi: maxNamed, leaf: { ret: below } },
    { lo: maxNamed + 1, hi, leaf: { ret: above } },
  ];
}
