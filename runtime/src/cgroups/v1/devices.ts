// devices (v1): the container may use only the devices linux.resources.devices allows, applied in order, followed by
// runc's default allowed devices (specconv AllowedDevices: mknod of any device, /dev/null, random, full, tty, zero,
// urandom, the ptys, ptmx and tun), which runc always appends. Unlike runc we do not drop a default rule when
// linux.devices lists the same path: that only ever took access away from /dev/null and friends.
//
// As in runc 1.1 the rules go through an emulator of the kernel's allow/deny semantics (cgroups/devices/
// devices_emulator.go): the cgroup's devices.list is read, and only the writes that turn it into the wanted state are
// made. A new cgroup (inheriting "a *:* rwm", allow-all) gets "a *:* rwm" on devices.deny and then each allowed rule,
// ordered by major, minor and type; `update` of a live container writes only what changed, so the container never
// loses /dev/null for a moment. devices.list is read back at the end and must match (a kernel may ignore rules).
import { CgroupError, CGROUP_CODES } from '../errors.js';
import type { Controller } from '../manager.js';
import { dec, fieldName, invalid, type LinuxResources } from '../resources.js';

type DevType = 'a' | 'b' | 'c';
/** major/minor -1 is the wildcard `*`; access is a bit set of r=1, w=2, m=4. */
interface Rule {
  type: DevType;
  major: number;
  minor: number;
  access: number;
  allow: boolean;
}
interface Emulator {
  /** true: allow-all with deny exceptions ("black list"); false: deny-all with allow exceptions. */
  defaultAllow: boolean;
  rules: Map<string, Rule>;
}

const BITS = { r: 1, w: 2, m: 4 } as const;
const accessBits = (s: string): number => [...s].reduce((n, ch) => n | (BITS[ch as keyof typeof BITS] ?? 0), 0);
const accessText = (n: number): string => (['r', 'w', 'm'] as const).filter((ch) => n & BITS[ch]).join('');
const num = (n: number): string => (n === -1 ? '*' : dec(n));
const keyOf = (r: Pick<Rule, 'type' | 'major' | 'minor'>): string => `${r.type} ${r.major}:${r.minor}`;
export const ruleText = (r: Rule): string => `${r.type} ${num(r.major)}:${num(r.minor)} ${accessText(r.access)}`;

const allow = (type: DevType, major: number, minor: number, access: string): Rule => ({ type, major, minor, access: accessBits(access), allow: true });

/** runc 1.1.5 specconv AllowedDevices, in its order. */
export const DEFAULT_ALLOWED: readonly Rule[] = [
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

/** The rules of linux.resources.devices (a, *, * where unset), each with the field that names it. */
function specRules(r: LinuxResources): { rule: Rule; field: string }[] {
  return (r.devices ?? []).map((d, i) => {
    const field = `devices[${i}]`;
    const type = d.type ?? 'a';
    if (type !== 'a' && type !== 'b' && type !== 'c') throw invalid(`${field}.type`, `${JSON.stringify(type)} is not a, b or c`);
    if (!d.access) throw invalid(`${field}.access`, 'must not be empty');
    if (!/^[rwm]+$/.test(d.access)) throw invalid(`${field}.access`, `${JSON.stringify(d.access)} is not a combination of r, w and m`);
    return { rule: { type, major: d.major ?? -1, minor: d.minor ?? -1, access: accessBits(d.access), allow: d.allow }, field };
  });
}

/** Adds or removes an exception; "a" rules reset the whole cgroup to allow-all or deny-all. */
function applyRule(e: Emulator, rule: Rule, field: string): void {
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
  // Removing an exception: cgroup v1 silently ignores removals that only a wildcard exception covers, so refuse them.
  for (const [major, minor] of [[-1, rule.minor], [rule.major, -1], [-1, -1]] as const) {
    if (major === rule.major && minor === rule.minor) continue;
    const wide = e.rules.get(keyOf({ type: rule.type, major, minor }));
    if (wide && wide.access & rule.access) {
      throw new CgroupError(CGROUP_CODES.invalidResources, `${fieldName(field)}: cgroup v1 cannot take "${ruleText(rule)}" out of the wider rule "${ruleText(wide)}"`);
    }
  }
  const left = (e.rules.get(key)?.access ?? 0) & ~rule.access;
  if (left === 0) e.rules.delete(key);
  else e.rules.set(key, { ...rule, allow: !e.defaultAllow, access: left });
}

/** The emulator for devices.list: "a *:* rwm" means allow-all (its deny exceptions are not listed), else allow rules. */
export function parseDevicesList(text: string): Emulator {
  const e: Emulator = { defaultAllow: false, rules: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [type, major, minor, access] = line.trim().split(/[ :]/);
    if ((type !== 'a' && type !== 'b' && type !== 'c') || major === undefined || minor === undefined || access === undefined) {
      throw new CgroupError(CGROUP_CODES.badState, `cgroup: cannot parse devices.list line ${JSON.stringify(line)}`);
    }
    const n = (s: string): number => (s === '*' ? -1 : Number(s));
    applyRule(e, { type, major: n(major), minor: n(minor), access: accessBits(access), allow: true }, 'devices');
  }
  return e;
}

const ordered = (rules: Map<string, Rule>): Rule[] =>
  [...rules.values()].sort((a, b) => a.major - b.major || a.minor - b.minor || a.type.localeCompare(b.type));

/** The fewest writes that turn `from` into `to` (runc's Emulator.Transition). */
export function transition(from: Emulator, to: Emulator): Rule[] {
  const out: Rule[] = [];
  let old = from.rules;
  // An allow-all cgroup may hold deny exceptions devices.list does not show: always start it over.
  if (from.defaultAllow || from.defaultAllow !== to.defaultAllow) {
    out.push({ type: 'a', major: -1, minor: -1, access: 7, allow: to.defaultAllow });
    old = new Map();
  }
  for (const r of ordered(old)) {
    const dropped = r.access & ~(to.rules.get(keyOf(r))?.access ?? 0);
    if (dropped) out.push({ ...r, access: dropped, allow: to.defaultAllow });
  }
  for (const r of ordered(to.rules)) {
    const gained = r.access & ~(old.get(keyOf(r))?.access ?? 0);
    if (gained) out.push({ ...r, access: gained, allow: !to.defaultAllow });
  }
  return out;
}

function sameState(a: Emulator, b: Emulator): boolean {
  if (a.defaultAllow !== b.defaultAllow) return false;
  if (a.defaultAllow) return true;
  return a.rules.size === b.rules.size && [...a.rules].every(([k, r]) => b.rules.get(k)?.access === r.access);
}

/** What the cgroup must end up as: the spec's rules then the default ones, on a deny-all start. */
export function targetState(r: LinuxResources): Emulator {
  const e: Emulator = { defaultAllow: false, rules: new Map() };
  for (const { rule, field } of specRules(r)) applyRule(e, rule, field);
  for (const rule of DEFAULT_ALLOWED) applyRule(e, rule, 'devices (runc\'s default allowed devices)');
  return e;
}

export const devices: Controller = {
  name: 'devices',
  check(r) {
    targetState(r);
  },
  set(f, r) {
    const target = targetState(r);
    const current = parseDevicesList(f.read('devices', 'devices.list'));
    for (const rule of transition(current, target)) {
      const text = ruleText(rule);
      f.write('devices', rule.allow ? 'devices.allow' : 'devices.deny', text, `rule "${text}"`);
    }
    const after = parseDevicesList(f.read('devices', 'devices.list'));
    if (!sameState(after, target)) {
      throw new CgroupError(CGROUP_CODES.notApplied, `${fieldName('devices')}: ${f.dir}/devices.list does not show the rules just written (the kernel ignored some)`);
    }
  },
};
