// From linux.seccomp to rules per ABI: validation with one-line errors naming the field, then the semantics that
// runc gets from libseccomp, so that a profile means the same under tsrun as under runc:
// - a rule whose action equals the default action is dropped (runc: "redundant");
// - a rule with two conditions on the same argument becomes one rule per condition, ORed (runc's old behaviour);
// - names the ABI's table lacks are skipped for that ABI (runc ignores names libseccomp does not know);
// - per syscall, the first unconditional rule decides it (libseccomp drops the others); otherwise its conditional
//   rules are tried in profile order and the first that matches decides, else the default action. Where two
//   conditional rules with different actions both match, libseccomp's choice follows its internal tree order
//   instead (and libseccomp 2.5.4 miscompiles some such trees): profile order is the rule we can state;
// - on a 32-bit ABI (i386, x32) only the low half of an argument is compared, and a rule for a socket or SysV IPC call also
//   matches socketcall(2)/ipc(2) with that call number in args[0] (libseccomp's multiplexing on i386).
import { ConfigError } from '../config/errors.js';
import { IPCCALLS, SOCKETCALLS, type ArchDef } from './arch.js';
import { RET } from './bpf.js';
import { ACTIONS, ARCHITECTURES, FILTER_FLAGS, OPERATORS, type LinuxSeccomp, type SeccompOperator, type Uint64 } from './types.js';

const EPERM = 1;
export const ENOSYS = 38;
const U64_MAX = (1n << 64n) - 1n;

export interface Cond {
  index: number;
  op: SeccompOperator;
  /** For SCMP_CMP_MASKED_EQ the mask; otherwise the value compared with. */
  value: bigint;
  /** For SCMP_CMP_MASKED_EQ the value the masked argument must equal; unused otherwise. */
  valueTwo: bigint;
}

export interface Rule {
  names: readonly string[];
  conds: Cond[];
  /** The SECCOMP_RET_* verdict, data included. */
  action: number;
  /** Same verdict as the default: kept only so that its names count for the -ENOSYS stub, as in runc. */
  redundant: boolean;
}

export interface Profile {
  defaultAction: number;
  flags: number;
  architectures: ReadonlySet<string>;
  rules: Rule[];
  /** Whether syscalls newer than every syscall the profile names get -ENOSYS (runc's stub). */
  enosysStub: boolean;
}

/** What one syscall number does: a verdict, or conditional rules tried in order with a fallback. */
export type Leaf = { ret: number } | { rules: { conds: Cond[]; action: number }[]; fallback: number };

export interface AbiRules {
  byNr: Map<number, Leaf>;
  /** The largest syscall number the profile names for this ABI, -1 for none. */
  maxNamed: number;
}

const fail = (path: string, rule: string): ConfigError => ConfigError.at('config.json', `linux.seccomp${path}`, rule);

function oneOf<T extends string>(list: readonly T[], v: unknown, path: string, what: string): T {
  if (typeof v !== 'string' || !(list as readonly string[]).includes(v)) throw fail(path, `unknown ${what} ${JSON.stringify(v)}`);
  return v as T;
}

function errno(v: unknown, path: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffff) throw fail(path, `must be an errno from 0 to 65535, not ${JSON.stringify(v)}`);
  return v as number;
}

function u64(v: Uint64 | undefined, path: string): bigint {
  let n: bigint | undefined;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'string' && /^\d+$/.test(v)) n = BigInt(v);
  // JSON.parse rounds 18446744073709551615 (and its neighbours) up to 2^64; they can only have meant the maximum.
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = v === 2 ** 64 ? U64_MAX : BigInt(v);
  if (n === undefined || n > U64_MAX || n < 0n) throw fail(path, `must be an integer from 0 to 2^64-1, not ${String(v)}`);
  return n;
}

function verdict(action: string, errnoRet: unknown, path: string, errnoField: string): number {
  const act = oneOf(ACTIONS, action, path, 'action');
  if (errnoRet !== undefined && act !== 'SCMP_ACT_ERRNO' && act !== 'SCMP_ACT_TRACE') {
    throw fail(path.replace(/[^.]+$/, errnoField), `only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${act}`);
  }
  const data = errnoRet === undefined ? EPERM : errno(errnoRet, path.replace(/[^.]+$/, errnoField));
  switch (act) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_ERRNO': return RET.ERRNO | data;
    case 'SCMP_ACT_TRACE': return (RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
    case 'SCMP_ACT_LOG': return RET.LOG;
    case 'SCMP_ACT_NOTIFY': return RET.USER_NOTIF;
  }
}

/** Validates the profile and turns names into verdicts; everything the kernel does not need to know stays here. */
export function parseProfile(p: LinuxSeccomp): Profile {
  if (p === null || typeof p !== 'object') throw fail('', 'must be an object');
  const defaultAction = verdict(p.defaultAction, p.defaultErrnoRet, '.defaultAction', 'defaultErrnoRet');
  if (defaultAction === RET.USER_NOTIF) throw fail('.defaultAction', 'SCMP_ACT_NOTIFY cannot be the default action');
  const architectures = new Set((p.architectures ?? []).map((a, i) => oneOf(ARCHITECTURES, a, `.architectures[${i}]`, 'architecture')));
  let flags = 0;
  for (const [i, f] of (p.flags ?? []).entries()) {
    if (f === 'SECCOMP_FILTER_FLAG_NEW_LISTENER' || f === 'SECCOMP_FILTER_FLAG_TSYNC_ESRCH' || !Object.hasOwn(FILTER_FLAGS, f)) {
      throw fail(`.flags[${i}]`, `unknown flag ${JSON.stringify(f)}`);
    }
    flags |= FILTER_FLAGS[f as keyof typeof FILTER_FLAGS];
  }
  if (p.listenerMetadata !== undefined && !p.listenerPath) throw fail('.listenerMetadata', 'requires listenerPath');

  const rules: Rule[] = [];
  let notify = false;
  for (const [i, s] of (p.syscalls ?? []).entries()) {
    const path = `.syscalls[${i}]`;
    if (!Array.isArray(s.names) || s.names.length === 0) throw fail(`${path}.names`, 'must name at least one syscall');
    s.names.forEach((n, j) => {
      if (typeof n !== 'string' || n === '') throw fail(`${path}.names[${j}]`, 'must be a syscall name');
    });
    const action = verdict(s.action, s.errnoRet, `${path}.action`, 'errnoRet');
    if (action === RET.USER_NOTIF) {
      notify = true;
      // the init hands the listener fd to tsrun with sendmsg and goes on writing to it (as runc's init does): a
      // notification there would wait for an agent that has no fd yet, or stall the container's start on it
      for (const name of ['write', 'sendmsg']) {
        if (s.names.includes(name)) throw fail(`${path}.names`, `SCMP_ACT_NOTIFY cannot be used for the ${name} syscall`);
      }
    }
    const conds = (s.args ?? []).map((a, j): Cond => {
      const at = `${path}.args[${j}]`;
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw fail(`${at}.index`, `must be an argument index from 0 to 5, not ${JSON.stringify(a.index)}`);
      const op = oneOf(OPERATORS, a.op, `${at}.op`, 'operator');
      return { index: a.index, op, value: u64(a.value, `${at}.value`), valueTwo: a.valueTwo === undefined ? 0n : u64(a.valueTwo, `${at}.valueTwo`) };
    });
    const redundant = action === defaultAction;
    const repeated = new Set(conds.map((c) => c.index)).size < conds.length;
    if (repeated) for (const c of conds) rules.push({ names: s.names, conds: [c], action, redundant });
    else rules.push({ names: s.names, conds, action, redundant });
  }

  if (notify && !p.listenerPath) throw fail('.listenerPath', 'required when a rule uses SCMP_ACT_NOTIFY');
  if (notify && Buffer.byteLength(p.listenerPath ?? '') > 107) throw fail('.listenerPath', 'longer than the 107 bytes a unix socket address holds');

  // the kernel wants NEW_LISTENER for notifications; TSYNC with a listener needs TSYNC_ESRCH, and
  // WAIT_KILLABLE_RECV means nothing without one (libseccomp sets them the same way)
  if (notify) flags |= FILTER_FLAGS.SECCOMP_FILTER_FLAG_NEW_LISTENER;
  if (notify && flags & FILTER_FLAGS.SECCOMP_FILTER_FLAG_TSYNC) flags |= FILTER_FLAGS.SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  if (!notify) flags &= ~FILTER_FLAGS.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;

  // runc leaves out the stub when the default lets unknown syscalls through (a tracer handles -ENOSYS itself)
  const enosysStub = !(defaultAction === RET.ALLOW || defaultAction === RET.LOG || (defaultAction & 0xffff0000) >>> 0 === RET.TRACE);
  return { defaultAction, flags, architectures, rules, enosysStub };
}

/** A condition as the ABI's word size sees it, or undefined where it compares nothing and so always holds. */
function effective(c: Cond, bits: 32 | 64): Cond | undefined {
  const width = bits === 64 ? U64_MAX : 0xffffffffn;
  const trunc = { ...c, value: c.value & width, valueTwo: c.valueTwo & width };
  if (c.op !== 'SCMP_CMP_MASKED_EQ') return trunc;
  return trunc.value === 0n ? undefined : { ...trunc, valueTwo: trunc.valueTwo & trunc.value };
}

export function rulesFor(profile: Profile, arch: ArchDef): AbiRules {
  const lists = new Map<number, { conds: Cond[]; action: number }[]>();
  const add = (nr: number, conds: Cond[], action: number): void => {
    const kept = conds.map((c) => effective(c, arch.bits)).filter((c): c is Cond => c !== undefined);
    const list = lists.get(nr);
    if (list) list.push({ conds: kept, action });
    else lists.set(nr, [{ conds: kept, action }]);
  };
  let maxNamed = -1;
  for (const rule of profile.rules) {
    for (const name of rule.names) {
      const nr = arch.syscalls.get(name);
      if (nr !== undefined) maxNamed = Math.max(maxNamed, nr);
      if (rule.redundant) continue;
      if (nr !== undefined) add(nr, rule.conds, rule.action);
      const mux = arch.multiplexed;
      const socket = SOCKETCALLS.get(name);
      const ipc = IPCCALLS.get(name);
      if (mux && (socket ?? ipc) !== undefined) {
        // as libseccomp: the call number takes the place of any condition on args[0]
        const call: Cond = { index: 0, op: 'SCMP_CMP_EQ', value: BigInt((socket ?? ipc) as number), valueTwo: 0n };
        add(socket !== undefined ? mux.socketcall : mux.ipc, [call, ...rule.conds.filter((c) => c.index !== 0)], rule.action);
      }
    }
  }
  const byNr = new Map<number, Leaf>();
  for (const [nr, list] of lists) {
    const always = list.find((r) => r.conds.length === 0);
    byNr.set(nr, always ? { ret: always.action } : { rules: list, fallback: profile.defaultAction });
  }
  return { byNr, maxNamed };
}
