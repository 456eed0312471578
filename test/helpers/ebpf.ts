// A small eBPF interpreter and disassembler for the cgroup device programs the runtime generates, written for the
// tests from the kernel's instruction set (Documentation/bpf/standardization/instruction-set.rst), independently of
// the generator. It decodes the encoded bytes, so it checks what the kernel would load, and knows only the
// instructions a device program needs; anything else, a read of an unset register, a jump out of the program or
// a context access outside struct bpf_cgroup_dev_ctx fails the run, as the verifier would refuse it.

export interface DevCtx {
  /** BPF_DEVCG_DEV_BLOCK 1, CHAR 2. */
  type: number;
  /** BPF_DEVCG_ACC_MKNOD 1, READ 2, WRITE 4. */
  access: number;
  major: number;
  minor: number;
}

interface Decoded {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export function decode(bytes: Uint8Array): Decoded[] {
  if (bytes.length % 8 !== 0) throw new Error(`program length ${bytes.length} is not a multiple of 8`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 8 }, (_, i) => ({
    code: v.getUint8(i * 8),
    dst: v.getUint8(i * 8 + 1) & 0xf,
    src: v.getUint8(i * 8 + 1) >> 4,
    off: v.getInt16(i * 8 + 2, true),
    imm: v.getInt32(i * 8 + 4, true),
  }));
}

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
/** The context pointer in r1: a value no scalar takes. */
const CTX = Symbol('ctx');
type Reg = bigint | typeof CTX | undefined;

const ALU_OPS: Readonly<Record<number, [string, (a: bigint, b: bigint) => bigint]>> = {
  0x00: ['+=', (a, b) => a + b],
  0x40: ['|=', (a, b) => a | b],
  0x50: ['&=', (a, b) => a & b],
  0x60: ['<<=', (a, b) => a << b],
  0x70: ['>>=', (a, b) => a >> b],
  0xb0: ['=', (_a, b) => b],
};
const JMP_OPS: Readonly<Record<number, [string, (a: bigint, b: bigint) => boolean]>> = {
  0x10: ['==', (a, b) => a === b],
  0x40: ['&', (a, b) => (a & b) !== 0n],
  0x50: ['!=', (a, b) => a !== b],
};

const decoded = new WeakMap<Uint8Array, Decoded[]>();

/** Runs the program on one device access; returns r0 (1 allows). */
export function run(bytes: Uint8Array, ctx: DevCtx): number {
  const prog = decoded.get(bytes) ?? decode(bytes);
  decoded.set(bytes, prog);
  const mem = new DataView(new ArrayBuffer(12));
  mem.setUint32(0, ((ctx.access << 16) | ctx.type) >>> 0, true);
  mem.setUint32(4, ctx.major >>> 0, true);
  mem.setUint32(8, ctx.minor >>> 0, true);
  const r: Reg[] = Array.from({ length: 11 }, () => undefined);
  r[1] = CTX;
  r[10] = undefined;
  const scalar = (i: number, pc: number): bigint => {
    const x = r[i];
    if (typeof x !== 'bigint') throw new Error(`pc ${pc}: r${i} ${x === CTX ? 'is the context pointer' : 'is not set'}`);
    return x;
  };
  for (let pc = 0, steps = 0; ; steps++) {
    if (steps > 10_000) throw new Error('program does not end');
    const x = prog[pc];
    if (!x) throw new Error(`pc ${pc}: outside the program (${prog.length} instructions)`);
    const cls = x.code & 0x07;
    const op = x.code & 0xf0;
    const useReg = (x.code & 0x08) !== 0;
    if (x.code === 0x61) {
      if (r[x.src] !== CTX || x.off < 0 || x.off > 8 || x.off % 4 !== 0) throw new Error(`pc ${pc}: bad context access r${x.src}+${x.off}`);
      r[x.dst] = BigInt(mem.getUint32(x.off, true));
    } else if (cls === 0x04 || cls === 0x07) {
      const fn = ALU_OPS[op];
      if (!fn) throw new Error(`pc ${pc}: ALU op 0x${x.code.toString(16)} unknown`);
      const wide = cls === 0x07;
      const mask = wide ? M64 : M32;
      const b = useReg ? scalar(x.src, pc) : BigInt(x.imm) & mask;
      const a = op === 0xb0 ? 0n : scalar(x.dst, pc) & mask;
      r[x.dst] = fn[1](a, wide ? b : b & M32) & mask;
    } else if (x.code === 0x95) {
      return Number(scalar(0, pc) & M32);
    } else if (cls === 0x05 || cls === 0x06) {
      const fn = JMP_OPS[op];
      if (!fn) throw new Error(`pc ${pc}: jump op 0x${x.code.toString(16)} unknown`);
      const mask = cls === 0x06 ? M32 : M64;
      const a = scalar(x.dst, pc) & mask;
      const b = (useReg ? scalar(x.src, pc) : BigInt(x.imm)) & mask;
      if (x.off < 0) throw new Error(`pc ${pc}: backward jump`);
      pc += fn[1](a, b) ? x.off : 0;
    } else {
      throw new Error(`pc ${pc}: opcode 0x${x.code.toString(16)} unknown`);
    }
    pc++;
  }
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** One line per instruction, in the kernel verifier's notation. */
export function disassemble(bytes: Uint8Array): string[] {
  return decode(bytes).map((x, pc) => {
    const cls = x.code & 0x07;
    const op = x.code & 0xf0;
    const useReg = (x.code & 0x08) !== 0;
    let text: string;
    if (x.code === 0x61) text = `r${x.dst} = *(u32 *)(r${x.src} + ${x.off})`;
    else if (x.code === 0x95) text = 'exit';
    else if (cls === 0x04 || cls === 0x07) {
      const p = cls === 0x07 ? 'r' : 'w';
      text = `${p}${x.dst} ${ALU_OPS[op]?.[0] ?? '?'} ${useReg ? `${p}${x.src}` : op === 0x70 || op === 0x60 ? String(x.imm) : hex(x.imm)}`;
    } else if (cls === 0x05 || cls === 0x06) {
      const p = cls === 0x06 ? 'w' : 'r';
      text = `if ${p}${x.dst} ${JMP_OPS[op]?.[0] ?? '?'} ${useReg ? `${p}${x.src}` : hex(x.imm)} goto pc+${x.off}`;
    } else text = `.byte 0x${x.code.toString(16)}`;
    return `${String(pc).padStart(3)}: ${text}`;
  });
}
