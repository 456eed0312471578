// Classic BPF as seccomp uses it: instruction encoding, the kernel's checks, a small interpreter and a
// disassembler. The interpreter and the disassembler exist for tests (run a compiled filter against synthetic
// seccomp_data; pin a filter's code in a golden file); the compiler only uses the constants and `encode`.

/** struct sock_filter: 8 bytes, u16 code, u8 jt, u8 jf, u32 k (little-endian on every host tsrun runs on). */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const BPF = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, ABS: 0x20, IMM: 0x00, MEM: 0x60, LEN: 0x80,
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  K: 0x00, X: 0x08, A: 0x10,
  TAX: 0x00, TXA: 0x80,
} as const;

/** Opcodes the compiler emits. */
export const OP = {
  LD_ABS: BPF.LD | BPF.W | BPF.ABS,
  AND_K: BPF.ALU | BPF.AND | BPF.K,
  JA: BPF.JMP | BPF.JA,
  JEQ: BPF.JMP | BPF.JEQ | BPF.K,
  JGT: BPF.JMP | BPF.JGT | BPF.K,
  JGE: BPF.JMP | BPF.JGE | BPF.K,
  JSET: BPF.JMP | BPF.JSET | BPF.K,
  RET_K: BPF.RET | BPF.K,
} as const;

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const MAX_INSNS = 4096;

/** Offsets into struct seccomp_data; args[i] is a u64 whose low half comes first on little-endian machines. */
export const DATA = { nr: 0, arch: 4, ip: 8, args: 16, size: 64 } as const;

/** SECCOMP_RET_* (the action in the high 16 bits, data in the low 16). */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
const RET_NAMES = new Map<number, string>(Object.entries(RET).map(([name, v]) => [v >>> 0, name]));
const ACTION_FULL = 0xffff0000;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encode(program: readonly Insn[]): Buffer {
  // two 32-bit stores per instruction: Buffer's write methods cost milliseconds in a process whose JIT is still cold
  // (in the host's byte order, which is what the kernel reads)
  const words = new Uint32Array(program.length * 2);
  for (let n = 0; n < program.length; n++) {
    const i = program[n] as Insn;
    words[2 * n] = (LITTLE_ENDIAN ? i.code | (i.jt << 16) | (i.jf << 24) : (i.code << 16) | (i.jt << 8) | i.jf) >>> 0;
    words[2 * n + 1] = i.k >>> 0;
  }
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength);
}

export function decode(buf: Buffer): Insn[] {
  if (buf.length % 8) throw new Error(`BPF program of ${buf.length} bytes is not a whole number of instructions`);
  const out: Insn[] = [];
  for (let o = 0; o < buf.length; o += 8) {
    out.push({ code: buf.readUInt16LE(o), jt: buf.readUInt8(o + 2), jf: buf.readUInt8(o + 3), k: buf.readUInt32LE(o + 4) });
  }
  return out;
}

const cls = (code: number): number => code & 0x07;

/**
 * The checks the kernel makes before it accepts a seccomp filter (bpf_check_classic plus seccomp_check_filter):
 * returns the first problem, or undefined for a loadable program.
 */
export function checkProgram(program: readonly Insn[]): string | undefined {
  if (program.length === 0 || program.length > MAX_INSNS) return `program has ${program.length} instructions (1 to ${MAX_INSNS})`;
  for (const [pc, i] of program.entries()) {
    const where = `instruction ${pc}`;
    switch (i.code) {
      case BPF.LD | BPF.W | BPF.ABS:
        if (i.k % 4 || i.k >= DATA.size) return `${where}: load of seccomp_data offset ${i.k}`;
        break;
      case BPF.JMP | BPF.JA:
        if (pc + 1 + i.k >= program.length) return `${where}: ja beyond the end`;
        break;
      default:
        if (cls(i.code) === BPF.JMP) {
          if (![BPF.JEQ, BPF.JGT, BPF.JGE, BPF.JSET].includes((i.code & 0xf0) as never)) return `${where}: bad jump ${i.code}`;
          if (pc + 1 + Math.max(i.jt, i.jf) >= program.length) return `${where}: jump beyond the end`;
        } else if (!ALLOWED.has(i.code)) return `${where}: opcode 0x${i.code.toString(16)} not allowed in seccomp`;
        else if ((i.code === (BPF.LD | BPF.MEM) || i.code === (BPF.LDX | BPF.MEM) || cls(i.code) === BPF.ST || cls(i.code) === BPF.STX) && i.k >= 16) {
          return `${where}: scratch memory slot ${i.k}`;
        }
    }
  }
  const last = program[program.length - 1];
  return last && cls(last.code) === BPF.RET ? undefined : 'program does not end with ret';
}

const ALU_OPS = [BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.OR, BPF.AND, BPF.LSH, BPF.RSH, BPF.MOD, BPF.XOR];
const ALLOWED = new Set<number>([
  BPF.LD | BPF.W | BPF.LEN, BPF.LDX | BPF.W | BPF.LEN, BPF.LD | BPF.IMM, BPF.LDX | BPF.IMM, BPF.LD | BPF.MEM, BPF.LDX | BPF.MEM,
  BPF.ST, BPF.STX, BPF.RET | BPF.K, BPF.RET | BPF.A, BPF.MISC | BPF.TAX, BPF.MISC | BPF.TXA, BPF.ALU | BPF.NEG,
  ...ALU_OPS.flatMap((op) => [BPF.ALU | op | BPF.K, BPF.ALU | op | BPF.X]),
]);

/** struct seccomp_data as a test describes it; missing args are 0. */
export interface SeccompData {
  nr: number;
  arch: number;
  instruction_pointer?: bigint;
  args?: readonly bigint[];
}

export function dataBuffer(d: SeccompData): Buffer {
  const buf = Buffer.alloc(DATA.size);
  buf.writeUInt32LE(d.nr >>> 0, DATA.nr);
  buf.writeUInt32LE(d.arch >>> 0, DATA.arch);
  buf.writeBigUInt64LE(BigInt.asUintN(64, d.instruction_pointer ?? 0n), DATA.ip);
  for (let i = 0; i < 6; i++) buf.writeBigUInt64LE(BigInt.asUintN(64, d.args?.[i] ?? 0n), DATA.args + 8 * i);
  return buf;
}

/** Runs a filter as the kernel would and returns its 32-bit verdict. Throws on a program the kernel would refuse. */
export function runFilter(program: Buffer | readonly Insn[], data: SeccompData): number {
  const insns = Buffer.isBuffer(program) ? decode(program) : program;
  const problem = checkProgram(insns);
  if (problem) throw new Error(`invalid filter: ${problem}`);
  const mem = new Uint32Array(16);
  const d = dataBuffer(data);
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc] as Insn;
    const c = cls(i.code);
    if (c === BPF.RET) return (i.code & BPF.A ? a : i.k) >>> 0;
    if (c === BPF.JMP) {
      if (i.code === OP.JA) {
        pc += i.k;
        continue;
      }
      const operand = i.code & BPF.X ? x : i.k >>> 0;
      const op = i.code & 0xf0;
      const taken = op === BPF.JEQ ? a === operand : op === BPF.JGT ? a > operand : op === BPF.JGE ? a >= operand : (a & operand) !== 0;
      pc += taken ? i.jt : i.jf;
      continue;
    }
    if (c === BPF.ALU) {
      a = alu(i.code & 0xf0, a, i.code & BPF.X ? x : i.k >>> 0);
      continue;
    }
    switch (i.code) {
      case BPF.LD | BPF.W | BPF.ABS: a = d.readUInt32LE(i.k); break;
      case BPF.LD | BPF.W | BPF.LEN: a = DATA.size; break;
      case BPF.LDX | BPF.W | BPF.LEN: x = DATA.size; break;
      case BPF.LD | BPF.IMM: a = i.k >>> 0; break;
      case BPF.LDX | BPF.IMM: x = i.k >>> 0; break;
      case BPF.LD | BPF.MEM: a = mem[i.k] ?? 0; break;
      case BPF.LDX | BPF.MEM: x = mem[i.k] ?? 0; break;
      case BPF.ST: mem[i.k] = a; break;
      case BPF.STX: mem[i.k] = x; break;
      case BPF.MISC | BPF.TAX: x = a; break;
      case BPF.MISC | BPF.TXA: a = x; break;
    }
  }
  throw new Error('filter fell off its end');
}

function alu(op: number, a: number, v: number): number {
  switch (op) {
    case BPF.ADD: return (a + v) >>> 0;
    case BPF.SUB: return (a - v) >>> 0;
    case BPF.MUL: return Math.imul(a, v) >>> 0;
    case BPF.DIV: return v === 0 ? 0 : Math.floor(a / v) >>> 0;
    case BPF.MOD: return v === 0 ? 0 : a % v >>> 0;
    case BPF.OR: return (a | v) >>> 0;
    case BPF.AND: return (a & v) >>> 0;
    case BPF.XOR: return (a ^ v) >>> 0;
    case BPF.LSH: return v >= 32 ? 0 : (a << v) >>> 0;
    case BPF.RSH: return v >= 32 ? 0 : a >>> v;
    case BPF.NEG: return -a >>> 0;
    default: throw new Error(`unknown ALU op 0x${op.toString(16)}`);
  }
}

/** "ALLOW", "ERRNO(1)", "TRACE(5)", ... for a verdict. */
export function retName(k: number): string {
  const action = (k & ACTION_FULL) >>> 0;
  const data = k & 0xffff;
  const name = RET_NAMES.get(action) ?? `0x${action.toString(16)}`;
  return data || action === RET.ERRNO || action === RET.TRACE || action === RET.TRAP ? `${name}(${data})` : name;
}

function field(off: number): string {
  if (off === DATA.nr) return 'nr';
  if (off === DATA.arch) return 'arch';
  if (off < DATA.args) return off === DATA.ip ? 'ip.lo' : 'ip.hi';
  const arg = (off - DATA.args) >> 3;
  return `args[${arg}].${(off - DATA.args) % 8 ? 'hi' : 'lo'}`;
}

const hex = (k: number): string => `0x${(k >>> 0).toString(16)}`;
const line = (n: number): string => String(n).padStart(4, '0');
const JUMPS: Record<number, string> = { [BPF.JEQ]: 'jeq', [BPF.JGT]: 'jgt', [BPF.JGE]: 'jge', [BPF.JSET]: 'jset' };

/** One line per instruction; jump targets are absolute instruction numbers. */
export function disassemble(program: Buffer | readonly Insn[]): string {
  const insns = Buffer.isBuffer(program) ? decode(program) : program;
  return insns
    .map((i, pc) => {
      let text: string;
      if (i.code === OP.LD_ABS) text = `ld ${field(i.k)}`;
      else if (i.code === OP.AND_K) text = `and ${hex(i.k)}`;
      else if (i.code === OP.JA) text = `ja ${line(pc + 1 + i.k)}`;
      else if (cls(i.code) === BPF.JMP && !(i.code & BPF.X)) text = `${JUMPS[i.code & 0xf0] ?? '?'} ${hex(i.k)} ? ${line(pc + 1 + i.jt)} : ${line(pc + 1 + i.jf)}`;
      else if (i.code === OP.RET_K) text = `ret ${retName(i.k)}`;
      else text = `.insn code=${hex(i.code)} jt=${i.jt} jf=${i.jf} k=${hex(i.k)}`;
      return `${line(pc)}: ${text}`;
    })
    .join('\n');
}
