// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the shared device model
// (../devices.ts), so v2 decides exactly as v1's devices.allow/deny do. A pure function: state in, instructions out.
//
// The kernel runs the program on every open, mknod (and v1-style check) of a device node by a process in the cgroup,
// with r1 pointing at struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, where access_type is
// (access << 16) | type (type: BPF_DEVCG_DEV_BLOCK 1, CHAR 2; access: MKNOD 1, READ 2, WRITE 4). Returning 1 allows.
//
// Layout: load the four values into r2..r5, then one block per exception that falls through to the next block on the
// first mismatch and otherwise returns the exception's verdict; the last block returns the default. Comparisons are
// 32-bit (BPF_JMP32, Linux 5.1+), so every u32 device number compares exactly. Blocks come in the model's stable
// order; all exceptions share one verdict, so their order does not change any decision.
//
//   r2 = *(u32 *)(r1 + 0)          access_type
//   r3 = r2
//   w2 &= 0xffff                   type
//   w3 >>= 16                      access
//   r4 = *(u32 *)(r1 + 4)          major
//   r5 = *(u32 *)(r1 + 8)          minor
//   if w2 != TYPE goto next        per exception: type,
//   if w3 & ~ACCESS goto next      allow exception: every access bit asked for is in it (left out for rwm);
//   w1 = w3; w1 &= ACCESS          deny exception: any of them is (left out for rwm), as the kernel's v1 check;
//   if w1 == 0 goto next           (runc 1.1's program asks every bit of a deny rule too, letting O_RDWR through
//                                  a rule that denies only w; we follow v1)
//   if w4 != MAJOR goto next       major and minor (left out for *),
//   if w5 != MINOR goto next
//   w0 = VERDICT; exit
//   next: ... w0 = DEFAULT; exit
import { ACCESS, ALL_ACCESS, ordered, type DeviceRule, type DeviceState } from '../devices.js';

/** The license string BPF_PROG_LOAD asks for (only GPL-compatible ones unlock GPL-only helpers; we call none). */
export const DEVICE_PROGRAM_LICENSE = 'MIT';

/** One eBPF instruction (struct bpf_insn). */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** Opcode parts from linux/bpf_common.h and linux/bpf.h. */
export const OP = {
  LDX: 0x01, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07,
  W: 0x00, MEM: 0x60,
  K: 0x00, X: 0x08,
  AND: 0x50, RSH: 0x70, MOV: 0xb0,
  JEQ: 0x10, JSET: 0x40, JNE: 0x50, EXIT: 0x90,
} as const;

/** struct bpf_cgroup_dev_ctx and its constants. */
export const DEV_CTX = { accessType: 0, major: 4, minor: 8, size: 12 } as const;
export const DEVCG_DEV = { block: 1, char: 2 } as const;
export const DEVCG_ACC = { mknod: 1, read: 2, write: 4 } as const;

/** Our access bits (r=1, w=2, m=4) as the kernel's BPF_DEVCG_ACC_* bits. */
export function bpfAccess(access: number): number {
  return (access & ACCESS.r ? DEVCG_ACC.read : 0) | (access & ACCESS.w ? DEVCG_ACC.write : 0) | (access & ACCESS.m ? DEVCG_ACC.mknod : 0);
}

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const ldxw = (dst: number, src: number, off: number): Insn => ins(OP.LDX | OP.W | OP.MEM, dst, src, off, 0);
const alu32 = (op: number, dst: number, imm: number): Insn => ins(OP.ALU | op | OP.K, dst, 0, 0, imm);
const mov64 = (dst: number, src: number): Insn => ins(OP.ALU64 | OP.MOV | OP.X, dst, src, 0, 0);
const mov32 = (dst: number, src: number): Insn => ins(OP.ALU | OP.MOV | OP.X, dst, src, 0, 0);
/** 32-bit compare with an immediate; `imm | 0` keeps the bit pattern of numbers up to 2^32-1. */
const jmp32 = (op: number, dst: number, imm: number, off: number): Insn => ins(OP.JMP32 | op | OP.K, dst, 0, off, imm | 0);
const exit = (): Insn => ins(OP.JMP | OP.EXIT, 0, 0, 0, 0);
const ret = (allow: boolean): Insn[] => [alu32(OP.MOV, 0, allow ? 1 : 0), exit()];

const PROLOGUE: readonly Insn[] = [
  ldxw(2, 1, DEV_CTX.accessType),
  mov64(3, 2),
  alu32(OP.AND, 2, 0xffff),
  alu32(OP.RSH, 3, 16),
  ldxw(4, 1, DEV_CTX.major),
  ldxw(5, 1, DEV_CTX.minor),
];

/** Marks a jump to the next block in block(), patched once the block's length is known. */
const NEXT = -0x8000;

/**
 * One exception: each test jumps to the next block when the device does not match. An allow exception (deny-all
 * default) must hold every access bit asked for; a deny exception (allow-all default) matches when it shares any bit
 * with the request, as the kernel's v1 check does (match_exception_partial).
 */
function block(rule: DeviceRule, verdict: boolean): Insn[] {
  if (rule.type === 'a') throw new Error(`device filter: an "a" rule cannot be an exception (${rule.major}:${rule.minor})`);
  const acc = bpfAccess(rule.access);
  const out: Insn[] = [jmp32(OP.JNE, 2, rule.type === 'b' ? DEVCG_DEV.block : DEVCG_DEV.char, NEXT)];
  if (rule.access !== ALL_ACCESS) {
    if (verdict) out.push(jmp32(OP.JSET, 3, ~acc & 0xffff, NEXT));
    else out.push(mov32(1, 3), alu32(OP.AND, 1, acc), jmp32(OP.JEQ, 1, 0, NEXT));
  }
  if (rule.major !== -1) out.push(jmp32(OP.JNE, 4, rule.major, NEXT));
  if (rule.minor !== -1) out.push(jmp32(OP.JNE, 5, rule.minor, NEXT));
  out.push(...ret(verdict));
  return out.map((x, i) => (x.off === NEXT ? { ...x, off: out.length - i - 1 } : x));
}

/** The program for a device state: rules in, instructions out. */
export function deviceProgram(state: DeviceState): Insn[] {
  const blocks = ordered(state.rules).map((r) => block(r, !state.defaultAllow));
  return [...PROLOGUE, ...blocks.flat(), ...ret(state.defaultAllow)];
}

/** The program as the kernel takes it: struct bpf_insn[], little-endian (x86_64, arm64). */
export function encodeProgram(insns: readonly Insn[]): Uint8Array {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8(((x.src & 0xf) << 4) | (x.dst & 0xf), i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return buf;
}
