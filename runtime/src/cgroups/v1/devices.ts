// devices (v1): devices.allow/devices.deny. The wanted state comes from the shared model (../devices.ts: the spec's
// rules, then runc's default allowed devices, through the kernel's semantics).
//
// As in runc 1.1 (cgroups/devices/devices_emulator.go) the cgroup's devices.list is read, and only the writes that
// turn it into the wanted state are made. A new cgroup (inheriting "a *:* rwm", allow-all) gets "a *:* rwm" on
// devices.deny and then each allowed rule in the order the rules first named it: the spec's rules in their order, then
// the default ones (runc sorts them by number; the spec asks for the listed order, and devices.list then shows it, as
// runtime-tools' linux_cgroups_devices checks). `update` of a live container writes only what changed, so the
// container never loses /dev/null for a moment. devices.list is read back at the end and must match (a kernel may
// ignore rules).
import { accessBits, applyRule, ordered, ruleText, keyOf, targetState, type DeviceRule, type DeviceState } from '../devices.js';
import { CgroupError, CGROUP_CODES } from '../errors.js';
import type { Controller } from '../manager.js';
import { fieldName } from '../resources.js';

/** The state devices.list shows: "a *:* rwm" means allow-all (its deny exceptions are not listed), else allow rules. */
export function parseDevicesList(text: string): DeviceState {
  const e: DeviceState = { defaultAllow: false, rules: new Map() };
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

/** The fewest writes that turn `from` into `to` (runc's Emulator.Transition, in rule order rather than sorted). */
export function transition(from: DeviceState, to: DeviceState): DeviceRule[] {
  const out: DeviceRule[] = [];
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
  for (const r of to.rules.values()) {
    const gained = r.access & ~(old.get(keyOf(r))?.access ?? 0);
    if (gained) out.push({ ...r, access: gained, allow: !to.defaultAllow });
  }
  return out;
}

function sameState(a: DeviceState, b: DeviceState): boolean {
  if (a.defaultAllow !== b.defaultAllow) return false;
  if (a.defaultAllow) return true;
  return a.rules.size === b.rules.size && [...a.rules].every(([k, r]) => b.rules.get(k)?.access === r.access);
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
