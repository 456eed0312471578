// linux.resources.devices as one model for both cgroup versions: the spec's rules in order, then runc's default allowed
// devices (specconv AllowedDevices: mknod of any device, /dev/null, random, full, tty, zero, urandom, the ptys, ptmx and
// tun), run through an emulator of the kernel's cgroup v1 devices semantics (runc's devices emulator). The result is
// a default (allow-all or deny-all) plus exceptions with the opposite verdict. v1 turns it into devices.allow/deny
// writes (v1/devices.ts), v2 into an eBPF program (v2/device-bpf.ts), so both versions decide the same way.
//
// The kernel's semantics: an "a" rule resets to allow-all or deny-all and drops every exception, whatever its numbers
// or access; a rule with the default's verdict takes access away from the exception with exactly its type and
// numbers; a rule with the other verdict adds access to it. A device access is an exception when one exception alone
// has its type, its numbers (or * for them) and every access bit asked for.
//
// Unlike runc we do not drop a default rule when linux.devices lists the same path: that only ever took access away
// from /dev/null and friends.
import { CgroupError, CGROUP_CODES } from './errors.js';
import { dec, fieldName, invalid, type LinuxResources } from './resources.js';

export type DevType = 'a' | 'b' | 'c';
/** major/minor -1 is the wildcard `*`; access is a bit set of r=1, w=2, m=4. */
export interface DeviceRule {
  type: DevType;
  major: number;
  minor: number;
  access: number;
  allow: boolean;
}
export interface DeviceState {
  /** true: allow-all with deny exceptions ("black list"); false: deny-all with allow exceptions. */
  defaultAllow: boolean;
  /** Exceptions by keyOf(), each with the verdict !defaultAllow, in the order rules first named them. */
  rules: Map<string, DeviceRule>;
}

export const ACCESS = { r: 1, w: 2, m: 4 } as const;
export const ALL_ACCESS = 7;
export const accessBits = (s: string): number => [...s].reduce((n, ch) => n | (ACCESS[ch as keyof typeof ACCESS] ?? 0), 0);
const accessText = (n: number): string => (['r', 'w', 'm'] as const).filter((ch) => n & ACCESS[ch]).join('');
const num = (n: number): string => (n === -1 ? '*' : dec(n));
export const keyOf = (r: Pick<DeviceRule, 'type' | 'major' | 'minor'>): string => `${r.type} ${r.major}:${r.minor}`;
/** The rule as devices.allow/deny take it, e.g. `c 1:3 rwm`, `c 136:* rwm`. */
export const ruleText = (r: DeviceRule): string => `${r.type} ${num(r.major)}:${num(r.minor)} ${accessText(r.access)}`;

const allow = (type: DevType, major: number, minor: number, access: string): DeviceRule => ({ type, major, minor, access: accessBits(access), allow: true });

/** runc 1.1.5 specconv AllowedDevices, in its order. */
export const DEFAULT_ALLOWED: readonly DeviceRule[] = [
  allow('c', -1, -1, 'm'),
  allow('b', -1, -1, 'm'),
  allow('c', 1, 3, 'rwm'), // /dev/null
  allow('c', 1, 8, 'rwm'), // /dev/random
  allow('c', 1, 7, 'rwm'), // /dev/full
  allow('c', 5, 0, 'rwm'), // /dev/tty
  allow('c', 1, 5, 'rwm'), // /dev/zero
  allow('c', 1, 9, 'rwm'), // /dev/urandom
  allow('c', 136, -1, 'rwm'), // /dev/pts/*
  allow('c', 5, 2, 'rwm'), // /dev/ptmx
  allow('c', 10, 200, 'rwm'), // /dev/net/tun
];

/** The largest device number either version can hold (the BPF context has u32 fields); -1 is the wildcard. */
const MAX_NUMBER = 0xffffffff;

/** The rules of linux.resources.devices (a, *, * where unset), each with the field that names it. */
export function specRules(r: LinuxResources): { rule: DeviceRule; field: string }[] {
  return (r.devices ?? []).map((d, i) => {
    const field = `devices[${i}]`;
    const type = d.type ?? 'a';
    if (type !== 'a' && type !== 'b' && type !== 'c') throw invalid(`${field}.type`, `${JSON.stringify(type)} is not a, b or c`);
    if (!d.access) throw invalid(`${field}.access`, 'must not be empty');
    if (!/^[rwm]+$/.test(d.access)) throw invalid(`${field}.access`, `${JSON.stringify(d.access)} is not a combination of r, w and m`);
    for (const k of ['major', 'minor'] as const) {
      const n = d[k];
      if (n !== undefined && (!Number.isInteger(n) || n < -1 || n > MAX_NUMBER)) throw invalid(`${field}.${k}`, `${String(n)} is not a device number (0-${MAX_NUMBER}, or -1 for any)`);
    }
    return { rule: { type, major: d.major ?? -1, minor: d.minor ?? -1, access: accessBits(d.access), allow: d.allow }, field };
  });
}

/** Applies one rule to the state as the kernel's cgroup v1 would; refuses what v1 would silently ignore. */
export function applyRule(e: DeviceState, rule: DeviceRule, field: string): void {
  if (rule.type === 'a') {
    e.defaultAllow = rule.allow;
    e.rules.clear();
    return;
  }
  const key = keyOf(rule);
  if (rule.allow !== e.defaultAllow) {
    e.rules.set(key, { ...rule, access: (e.rules.get(key)?.access ?? 0) | rule.access });
    return;
  }
  // Removing an exception: cgroup v1 silently ignores removals that only a wildcard exception covers, so refuse them
  // (runc does, on v2 too, so that both versions mean the same).
  for (const [major, minor] of [[-1, rule.minor], [rule.major, -1], [-1, -1]] as const) {
    if (major === rule.major && minor === rule.minor) continue;
    const wide = e.rules.get(keyOf({ type: rule.type, major, minor }));
    if (wide && wide.access & rule.access) {
      throw new CgroupError(CGROUP_CODES.invalidResources, `${fieldName(field)}: "${ruleText(rule)}" cannot take access out of the wider rule "${ruleText(wide)}" (cgroup v1 would ignore it)`);
    }
  }
  const left = (e.rules.get(key)?.access ?? 0) & ~rule.access;
  if (left === 0) e.rules.delete(key);
  else e.rules.set(key, { ...rule, allow: !e.defaultAllow, access: left });
}

/** Exceptions in a stable order: by major, minor, type (runc's orderedEntries). */
export const ordered = (rules: Map<string, DeviceRule>): DeviceRule[] =>
  [...rules.values()].sort((a, b) => a.major - b.major || a.minor - b.minor || a.type.localeCompare(b.type));

/** What the container's device access must be: the spec's rules then the default ones, on a deny-all start. */
export function targetState(r: LinuxResources): DeviceState {
  const e: DeviceState = { defaultAllow: false, rules: new Map() };
  for (const { rule, field } of specRules(r)) applyRule(e, rule, field);
  for (const rule of DEFAULT_ALLOWED) applyRule(e, rule, 'devices (runc\'s default allowed devices)');
  return e;
}
