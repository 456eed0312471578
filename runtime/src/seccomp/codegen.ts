// Code generation. The program is emitted back to front: every jump goes forward, so its target is already placed
// when the jump is emitted and its distance is known. A distance over 255 (classic BPF's 8-bit jt/jf) is bridged
// with a `ja` (32-bit offset) placed right after the jump, or with a copy of the target when that is a `ret`.
// Nothing is patched afterwards, and compiling is linear in the program's size.
import { DATA, OP, type Insn } from './bpf.js';
import type { Cond, Leaf } from './rules.js';

/** A position in the program: the number of instructions emitted when its instruction was emitted. */
export type Label = number;

export class Builder {
  private readonly rev: Insn[] = [];

  /** The label of the instruction emitted last, which will run first. */
  here(): Label {
    return this.rev.length;
  }

  private push(code: number, jt: number, jf: number, k: number): Label {
    this.rev.push({ code, jt, jf, k: k >>> 0 });
    return this.rev.length;
  }

  ret(k: number): Label {
    return this.push(OP.RET_K, 0, 0, k);
  }

  load(offset: number): Label {
    return this.push(OP.LD_ABS, 0, 0, offset);
  }

  and(k: number): Label {
    return this.push(OP.AND_K, 0, 0, k);
  }

  /** An unconditional jump, or nothing when the target comes next anyway. */
  goto(target: Label): Label {
    const d = this.rev.length - target;
    return d === 0 ? target : this.push(OP.JA, 0, 0, d);
  }

  /** `if (A <op> k) goto t else goto f`. */
  jump(code: number, k: number, t: Label, f: Label): Label {
    if (t === f) return this.goto(t);
    for (;;) {
      if (this.rev.length - t > 255) t = this.bridge(t);
      else if (this.rev.length - f > 255) f = this.bridge(f);
      else return this.push(code, this.rev.length - t, this.rev.length - f, k);
    }
  }

  private bridge(target: Label): Label {
    const insn = this.rev[target - 1] as Insn;
    return insn.code === OP.RET_K ? this.ret(insn.k) : this.push(OP.JA, 0, 0, this.rev.length - target);
  }

  /** The program in execution order. */
  program(): Insn[] {
    return this.rev.slice().reverse();
  }
}

/** A run of syscall numbers [lo, hi] that share one leaf. */
export interface Segment {
  lo: number;
  hi: number;
  leaf: Leaf;
}

/** Covers [lo, hi] with the given numbers' leaves, `gap(nr)` filling between them; merges equal neighbours. */
export function segments(byNr: ReadonlyMap<number, Leaf>, lo: number, hi: number, gap: (lo: number, hi: number) => Segment[]): Segment[] {
  const nrs = [...byNr.keys()].filter((n) => n >= lo && n <= hi).sort((a, b) => a - b);
  const out: Segment[] = [];
  const add = (s: Segment): void => {
    const last = out[out.length - 1];
    if (last && 'ret' in last.leaf && 'ret' in s.leaf && last.leaf.ret === s.leaf.ret) last.hi = s.hi;
    else out.push({ ...s });
  };
  let next = lo;
  for (const nr of nrs) {
    if (nr > next) gap(next, nr - 1).forEach(add);
    add({ lo: nr, hi: nr, leaf: byNr.get(nr) as Leaf });
    next = nr + 1;
  }
  if (next <= hi) gap(next, hi).forEach(add);
  return out;
}

/**
 * A binary search over the segments on the syscall number (already in A): about log2(n) comparisons per syscall
 * whatever the profile's size, and one comparison per segment in the program.
 */
export function emitSearch(b: Builder, segs: readonly Segment[], is32: boolean): Label {
  const walk = (i: number, j: number): Label => {
    if (i === j) return emitLeaf(b, (segs[i] as Segment).leaf, is32);
    const m = (i + j + 1) >> 1;
    const right = walk(m, j);
    const left = walk(i, m - 1);
    return b.jump(OP.JGE, (segs[m] as Segment).lo, right, left);
  };
  return walk(0, segs.length - 1);
}

function emitLeaf(b: Builder, leaf: Leaf, is32: boolean): Label {
  if ('ret' in leaf) return b.ret(leaf.ret);
  let next = b.ret(leaf.fallback);
  for (const rule of [...leaf.rules].reverse()) {
    let ok = b.ret(rule.action);
    for (const c of [...rule.conds].reverse()) ok = emitCond(b, c, is32, ok, next);
    next = ok;
  }
  return next;
}

const lo = (c: Cond): number => Number(c.value & 0xffffffffn);
const hi = (c: Cond): number => Number(c.value >> 32n);
const argLo = (i: number): number => DATA.args + 8 * i;
const argHi = (i: number): number => DATA.args + 8 * i + 4;

/**
 * Tests one argument condition, going to `t` when it holds and to `f` when not. A 64-bit argument is compared as
 * two 32-bit halves, the high one first; a 32-bit ABI has only the low half. NE, LT and LE are EQ, GE and GT with
 * the outcomes swapped.
 */
function emitCond(b: Builder, c: Cond, is32: boolean, t: Label, f: Label): Label {
  switch (c.op) {
    case 'SCMP_CMP_NE': return emitCond(b, { ...c, op: 'SCMP_CMP_EQ' }, is32, f, t);
    case 'SCMP_CMP_LT': return emitCond(b, { ...c, op: 'SCMP_CMP_GE' }, is32, f, t);
    case 'SCMP_CMP_LE': return emitCond(b, { ...c, op: 'SCMP_CMP_GT' }, is32, f, t);
    case 'SCMP_CMP_EQ': {
      b.jump(OP.JEQ, lo(c), t, f);
      const low = b.load(argLo(c.index));
      if (is32) return low;
      b.jump(OP.JEQ, hi(c), low, f);
      return b.load(argHi(c.index));
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      b.jump(c.op === 'SCMP_CMP_GT' ? OP.JGT : OP.JGE, lo(c), t, f);
      const low = b.load(argLo(c.index));
      if (is32) return low;
      // high half above: holds; equal: the low half decides; below: fails
      const equal = b.jump(OP.JEQ, hi(c), low, f);
      b.jump(OP.JGT, hi(c), t, equal);
      return b.load(argHi(c.index));
    }
    case 'SCMP_CMP_MASKED_EQ': {
      const mask = c.value;
      let start = t;
      if (mask & 0xffffffffn) {
        b.jump(OP.JEQ, Number(c.valueTwo & 0xffffffffn), t, f);
        b.and(Number(mask & 0xffffffffn));
        start = b.load(argLo(c.index));
      }
      if (!is32 && mask >> 32n) {
        b.jump(OP.JEQ, Number(c.valueTwo >> 32n), start, f);
        b.and(Number(mask >> 32n));
        start = b.load(argHi(c.index));
      }
      return start;
    }
  }
}
