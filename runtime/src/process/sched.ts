// The per-process execution settings of spec 1.3 -> ops: process.scheduler (sched_setattr), process.ioPriority
// (ioprio_set), process.execCPUAffinity (sched_setaffinity, exec'd processes only), linux.personality and
// linux.memoryPolicy (set_mempolicy). Every value is checked here and a bad one is named by its field path; what
// only the kernel can judge (a policy without the rights for it, a node that is offline) fails in the native stage,
// whose error names the op and so the field (plan/describe.ts).
import type { Process, Spec } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import type { Op } from '../plan/ops.js';

function bad(field: string, why: string): never {
  throw new TsrunError('invalid_config', `config.json: ${field}: ${why}`);
}

/** Largest CPU number accepted in a list (runc's MaxCPU); the kernel clamps a mask to the CPUs it has. */
export const MAX_CPU = 8192;
/** MAX_NUMNODES of the largest kernel configuration (NODES_SHIFT 10). */
export const MAX_NODE = 1024;

/** "0-3,7" -> [0,1,2,3,7]: the list format of cpusets, execCPUAffinity and memoryPolicy.nodes. */
export function parseList(text: string, field: string, max: number): number[] {
  const out = new Set<number>();
  if (text.trim() === '') return [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) bad(field, `"${text}" is not a list of numbers and ranges like 0-3,7`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) bad(field, `range "${part.trim()}" ends before it starts`);
    if (hi >= max) bad(field, `${hi} is out of range (at most ${max - 1})`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

export const SCHED_POLICIES = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6 } as const;
export const SCHED_FLAGS = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
} as const;

interface Scheduler {
  policy: string;
  nice?: number;
  priority?: number;
  flags?: string[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

function schedOp(s: Scheduler): Op {
  const f = 'process.scheduler';
  const policy = SCHED_POLICIES[s.policy as keyof typeof SCHED_POLICIES];
  if (policy === undefined) bad(`${f}.policy`, `unknown policy "${s.policy}"`);
  // SCHED_ISO was proposed for Linux but never merged: no kernel accepts it.
  if (s.policy === 'SCHED_ISO') bad(`${f}.policy`, 'SCHED_ISO is not implemented by the Linux kernel');
  const nice = s.nice ?? 0;
  if (nice < -20 || nice > 19) bad(`${f}.nice`, `${nice} is out of range (-20 to 19)`);
  const priority = s.priority ?? 0;
  const realtime = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
  if (realtime && (priority < 1 || priority > 99)) bad(`${f}.priority`, `${priority} is out of range for ${s.policy} (1 to 99)`);
  if (!realtime && priority !== 0) bad(`${f}.priority`, `must be 0 for ${s.policy} (a static priority is for SCHED_FIFO and SCHED_RR)`);
  let flags = 0;
  for (const [i, name] of (s.flags ?? []).entries()) {
    const bit = SCHED_FLAGS[name as keyof typeof SCHED_FLAGS];
    if (bit === undefined) bad(`${f}.flags[${i}]`, `unknown flag "${name}"`);
    flags |= bit;
  }
  const dl = { runtime: s.runtime ?? 0, deadline: s.deadline ?? 0, period: s.period ?? 0 };
  if (s.policy === 'SCHED_DEADLINE') {
    if (dl.runtime <= 0) bad(`${f}.runtime`, 'SCHED_DEADLINE needs a runtime (ns)');
    if (dl.deadline < dl.runtime) bad(`${f}.deadline`, 'must be at least the runtime');
    if (dl.period !== 0 && dl.period < dl.deadline) bad(`${f}.period`, 'must be 0 or at least the deadline');
  } else {
    for (const k of ['runtime', 'deadline', 'period'] as const) if (dl[k] !== 0) bad(`${f}.${k}`, `is for SCHED_DEADLINE only, not ${s.policy}`);
  }
  return { op: 'sched', policy, flags, nice, priority, runtime: String(dl.runtime), deadline: String(dl.deadline), period: String(dl.period) };
}

export const IOPRIO_CLASSES = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 } as const;
/** IOPRIO_CLASS_SHIFT: the class sits above 13 bits of priority data. */
const IOPRIO_CLASS_SHIFT = 13;

function ioprioOp(p: { class: string; priority?: number }): Op {
  const cls = IOPRIO_CLASSES[p.class as keyof typeof IOPRIO_CLASSES];
  if (cls === undefined) bad('process.ioPriority.class', `unknown class "${p.class}"`);
  const prio = p.priority ?? 0;
  if (!Number.isInteger(prio) || prio < 0 || prio > 7) bad('process.ioPriority.priority', `${prio} is out of range (0 to 7)`);
  return { op: 'ioprio', value: (cls << IOPRIO_CLASS_SHIFT) | prio };
}

export const PERSONALITY_DOMAINS = { LINUX: 0x0000, LINUX32: 0x0008 } as const;

function personalityOp(p: { domain: string; flags?: string[] }): Op {
  const persona = PERSONALITY_DOMAINS[p.domain as keyof typeof PERSONALITY_DOMAINS];
  if (persona === undefined) bad('linux.personality.domain', `unknown domain "${p.domain}" (LINUX or LINUX32)`);
  if ((p.flags?.length ?? 0) > 0) bad('linux.personality.flags', 'no flags are supported (the spec defines none)');
  return { op: 'personality', persona };
}

export const MPOL_MODES = {
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
} as const;
export const MPOL_FLAGS = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 } as const;

function mempolicyOp(m: { mode?: unknown; nodes?: unknown; flags?: unknown }): Op {
  const f = 'linux.memoryPolicy';
  const modeName = String(m.mode);
  const mode = MPOL_MODES[modeName as keyof typeof MPOL_MODES];
  if (mode === undefined) bad(`${f}.mode`, `unknown mode "${modeName}"`);
  const nodes = parseList(typeof m.nodes === 'string' ? m.nodes : '', `${f}.nodes`, MAX_NODE);
  // set_mempolicy(2): these take no nodes; these need at least one; MPOL_PREFERRED without nodes means "local".
  if ((modeName === 'MPOL_DEFAULT' || modeName === 'MPOL_LOCAL') && nodes.length > 0) bad(`${f}.nodes`, `must be empty for ${modeName}`);
  if (['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'].includes(modeName) && nodes.length === 0) bad(`${f}.nodes`, `${modeName} needs at least one node`);
  let flags = 0;
  const names = Array.isArray(m.flags) ? (m.flags as string[]) : [];
  for (const [i, name] of names.entries()) {
    const bit = MPOL_FLAGS[name as keyof typeof MPOL_FLAGS];
    if (bit === undefined) bad(`${f}.flags[${i}]`, `unknown flag "${name}"`);
    flags |= bit;
  }
  if (flags & MPOL_FLAGS.MPOL_F_RELATIVE_NODES && flags & MPOL_FLAGS.MPOL_F_STATIC_NODES) bad(`${f}.flags`, 'MPOL_F_RELATIVE_NODES and MPOL_F_STATIC_NODES exclude each other');
  if (flags && (modeName === 'MPOL_DEFAULT' || modeName === 'MPOL_LOCAL')) bad(`${f}.flags`, `${modeName} takes no flags`);
  return { op: 'mempolicy', mode: mode | flags, nodes };
}

/** What execCPUAffinity asks for: `initial` before the process joins the cgroups, `final` after. */
export function affinityOps(p: Process): { initial?: Op; final?: Op } {
  const a = p.execCPUAffinity;
  if (!a) return {};
  const initial = parseList(a.initial ?? '', 'process.execCPUAffinity.initial', MAX_CPU);
  // An empty final leaves the affinity to the kernel (spec).
  const final = parseList(a.final ?? '', 'process.execCPUAffinity.final', MAX_CPU);
  return {
    ...(initial.length ? { initial: { op: 'affinity', cpus: initial } satisfies Op } : {}),
    ...(final.length ? { final: { op: 'affinity', cpus: final } satisfies Op } : {}),
  };
}

/**
 * The scheduler, I/O priority, personality and memory policy of a process (the container's init or an exec'd
 * one), in runc's order. They run while the process still has its capabilities: a realtime policy or I/O class
 * needs CAP_SYS_NICE / CAP_SYS_ADMIN.
 */
export function schedOps(spec: Spec): Op[] {
  const p = spec.process;
  const ops: Op[] = [];
  // Checked for create too, where it does not apply (the init is not exec'd): a bad value fails early.
  if (p) affinityOps(p);
  if (p?.scheduler) ops.push(schedOp(p.scheduler as unknown as Scheduler));
  if (p?.ioPriority) ops.push(ioprioOp(p.ioPriority));
  if (spec.linux?.personality) ops.push(personalityOp(spec.linux.personality));
  if (spec.linux?.memoryPolicy) ops.push(mempolicyOp(spec.linux.memoryPolicy));
  return ops;
}
