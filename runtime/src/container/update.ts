// `update`: new resource limits for a live container, as runc 1.1. The flags (or -r, a LinuxResources JSON document
// as containerd sends it) are merged into the recorded config's linux.resources, the whole result is applied to the
// container's cgroups (devices as recorded: the manager resets device rules to exactly the ones it is given), and the
// record is saved so later updates and `events` see the current limits.
//
// As in runc, a numeric setting of 0 (and an empty cpuset list) means "leave as it is"; kernel memory settings are
// accepted and ignored with a warning; Intel RDT schemas are refused. Unlike runc, -r JSON is checked field by field
// before anything is written, and settings runc's update drops silently (hugepage limits, network, rdma) are applied.
// Device rules in -r are ignored, as runc ignores them.
import * as fs from 'node:fs';
import type { Context } from '../cli/context.js';
import type { LinuxResources } from '../cgroups/resources.js';
import { lockContainer } from './lock.js';
import { TsrunError } from '../errors.js';
import { assertTransition } from '../state/lifecycle.js';
import { statusOf } from '../state/store.js';
import { cgroupsFromRecord } from './cgroups.js';

const usage = (message: string): TsrunError => new TsrunError('usage', message);

/** runc's units.RAMInBytes: a number with an optional k/m/g/t/p suffix (1024 multiples, "b"/"ib" allowed); "-1" unlimited. */
export function parseBytes(flag: string, text: string): number {
  if (text.trim() === '-1') return -1;
  const m = /^\s*(\d+(?:\.\d+)?)\s?([kmgtp])?(i?b)?\s*$/i.exec(text);
  if (!m) throw usage(`invalid value for --${flag}: ${JSON.stringify(text)} (a size like 64m, 1g, 1048576, or -1)`);
  const mult = 1024 ** ' kmgtp'.indexOf((m[2] ?? ' ').toLowerCase());
  const n = Math.floor(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n)) throw usage(`invalid value for --${flag}: ${JSON.stringify(text)} is too large`);
  return n;
}

function parseInteger(flag: string, text: string, unsigned: boolean): number {
  if (!(unsigned ? /^\d+$/ : /^-?\d+$/).test(text.trim())) throw usage(`invalid value for --${flag}: ${JSON.stringify(text)} is not ${unsigned ? 'an unsigned' : 'an'} integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw usage(`invalid value for --${flag}: ${JSON.stringify(text)} is too large`);
  return n;
}

/** The flags of `update`, as parseArgs gives them. */
export type UpdateFlags = Record<string, string | boolean | string[] | undefined>;

export const UPDATE_OPTIONS = {
  resources: { type: 'string', short: 'r' },
  'blkio-weight': { type: 'string' },
  'cpu-period': { type: 'string' },
  'cpu-quota': { type: 'string' },
  'cpu-share': { type: 'string' },
  'cpu-rt-period': { type: 'string' },
  'cpu-rt-runtime': { type: 'string' },
  'cpuset-cpus': { type: 'string' },
  'cpuset-mems': { type: 'string' },
  'kernel-memory': { type: 'string' },
  'kernel-memory-tcp': { type: 'string' },
  memory: { type: 'string' },
  'memory-reservation': { type: 'string' },
  'memory-swap': { type: 'string' },
  'pids-limit': { type: 'string' },
  'l3-cache-schema': { type: 'string' },
  'mem-bw-schema': { type: 'string' },
} as const;

export interface ResourceUpdate {
  resources: LinuxResources;
  /** Kernel memory settings were given (ignored, with a warning). */
  kernelMemory: boolean;
}

/** The update the flags ask for (without -r). Values of 0 are left out: runc treats them as "unchanged". */
export function updateFromFlags(v: UpdateFlags): ResourceUpdate {
  const str = (k: string): string | undefined => {
    const x = v[k];
    return typeof x === 'string' ? x : undefined;
  };
  for (const k of ['l3-cache-schema', 'mem-bw-schema']) {
    if (str(k)) throw new TsrunError('unsupported', `--${k}: Intel RDT is not supported by tsrun (no resctrl support)`);
  }
  const r: LinuxResources = {};
  const put = <S extends 'memory' | 'cpu' | 'pids' | 'blockIO'>(section: S, field: string, value: number | string | undefined): void => {
    if (value === undefined || value === 0 || value === '') return;
    const obj = (r[section] ??= {}) as Record<string, unknown>;
    obj[field] = value;
  };
  const int = (flag: string, unsigned: boolean): number | undefined => {
    const s = str(flag);
    return s === undefined ? undefined : parseInteger(flag, s, unsigned);
  };
  const bytes = (flag: string): number | undefined => {
    const s = str(flag);
    return s === undefined ? undefined : parseBytes(flag, s);
  };
  const weight = int('blkio-weight', true);
  if (weight !== undefined && weight > 65535) throw usage(`invalid value for --blkio-weight: ${weight} is out of range`);
  put('blockIO', 'weight', weight);
  put('cpu', 'period', int('cpu-period', true));
  put('cpu', 'quota', int('cpu-quota', false));
  put('cpu', 'shares', int('cpu-share', true));
  put('cpu', 'realtimePeriod', int('cpu-rt-period', true));
  put('cpu', 'realtimeRuntime', int('cpu-rt-runtime', false));
  put('cpu', 'cpus', str('cpuset-cpus'));
  put('cpu', 'mems', str('cpuset-mems'));
  put('memory', 'limit', bytes('memory'));
  put('memory', 'reservation', bytes('memory-reservation'));
  put('memory', 'swap', bytes('memory-swap'));
  put('pids', 'limit', int('pids-limit', false));
  const kernelMemory = [bytes('kernel-memory'), bytes('kernel-memory-tcp')].some((x) => x !== undefined && x !== 0);
  return { resources: r, kernelMemory };
}

type Kind = 'int' | 'uint' | 'string' | 'bool';

const SECTIONS: Readonly<Record<string, Readonly<Record<string, Kind>>>> = {
  memory: { limit: 'int', reservation: 'int', swap: 'int', kernel: 'int', kernelTCP: 'int', swappiness: 'uint', disableOOMKiller: 'bool', useHierarchy: 'bool', checkBeforeUpdate: 'bool' },
  cpu: { shares: 'uint', quota: 'int', burst: 'uint', period: 'uint', realtimeRuntime: 'int', realtimePeriod: 'uint', cpus: 'string', mems: 'string', idle: 'int' },
  pids: { limit: 'int' },
  blockIO: { weight: 'uint', leafWeight: 'uint' },
};

const typeName = (x: unknown): string => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);

function checkValue(field: string, kind: Kind, x: unknown): void {
  const bad = (want: string): TsrunError => usage(`-r: linux.resources.${field}: expected ${want}, got ${typeName(x) === 'string' ? JSON.stringify(x) : typeName(x)}`);
  if (kind === 'string') {
    if (typeof x !== 'string') throw bad('a string');
  } else if (kind === 'bool') {
    if (typeof x !== 'boolean') throw bad('a boolean');
  } else if (typeof x !== 'number' || !Number.isInteger(x) || (kind === 'uint' && x < 0)) {
    throw bad(kind === 'uint' ? 'an unsigned integer' : 'an integer');
  }
}

function checkDeviceList(field: string, x: unknown, fields: Readonly<Record<string, Kind>>, required: readonly string[]): void {
  if (!Array.isArray(x)) throw usage(`-r: linux.resources.${field}: expected an array, got ${typeName(x)}`);
  x.forEach((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw usage(`-r: linux.resources.${field}[${i}]: expected an object, got ${typeName(e)}`);
    for (const k of required) if ((e as Record<string, unknown>)[k] === undefined) throw usage(`-r: linux.resources.${field}[${i}].${k} is required`);
    for (const [k, kind] of Object.entries(fields)) {
      const v = (e as Record<string, unknown>)[k];
      if (v !== undefined && v !== null) checkValue(`${field}[${i}].${k}`, kind, v);
    }
  });
}

/**
 * A LinuxResources document from -r, checked field by field (a one-line error names the first bad field); nulls
 * are dropped (Go leaves such fields unset), unknown fields ignored as Go's decoder does, devices ignored as runc does.
 */
export function parseResourcesJson(text: string): ResourceUpdate {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw usage(`-r: invalid JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw usage(`-r: linux.resources: expected an object, got ${typeName(doc)}`);
  const d = doc as Record<string, unknown>;
  const r: LinuxResources = {};
  let kernelMemory = false;
  for (const [section, fields] of Object.entries(SECTIONS)) {
    const s = d[section];
    if (s === undefined || s === null) continue;
    if (typeof s !== 'object' || Array.isArray(s)) throw usage(`-r: linux.resources.${section}: expected an object, got ${typeName(s)}`);
    const out: Record<string, unknown> = {};
    for (const [k, kind] of Object.entries(fields)) {
      const v = (s as Record<string, unknown>)[k];
      if (v === undefined || v === null) continue;
      checkValue(`${section}.${k}`, kind, v);
      if (section === 'memory' && (k === 'kernel' || k === 'kernelTCP')) {
        if (v !== 0) kernelMemory = true;
        continue;
      }
      out[k] = v;
    }
    (r as Record<string, unknown>)[section] = out;
  }
  const b = d.blockIO as Record<string, unknown> | undefined;
  if (b && r.blockIO) {
    const throttle = { major: 'int', minor: 'int', rate: 'uint' } as const;
    for (const k of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
      if (b[k] === undefined || b[k] === null) continue;
      checkDeviceList(`blockIO.${k}`, b[k], throttle, ['major', 'minor']);
      r.blockIO[k] = b[k] as never;
    }
    if (b.weightDevice !== undefined && b.weightDevice !== null) {
      checkDeviceList('blockIO.weightDevice', b.weightDevice, { major: 'int', minor: 'int', weight: 'uint', leafWeight: 'uint' }, ['major', 'minor']);
      r.blockIO.weightDevice = b.weightDevice as never;
    }
  }
  if (d.hugepageLimits !== undefined && d.hugepageLimits !== null) {
    checkDeviceList('hugepageLimits', d.hugepageLimits, { pageSize: 'string', limit: 'uint' }, ['pageSize', 'limit']);
    r.hugepageLimits = d.hugepageLimits as never;
  }
  if (d.unified !== undefined && d.unified !== null) {
    if (typeof d.unified !== 'object' || Array.isArray(d.unified)) throw usage(`-r: linux.resources.unified: expected an object, got ${typeName(d.unified)}`);
    for (const [k, v] of Object.entries(d.unified)) checkValue(`unified[${JSON.stringify(k)}]`, 'string', v);
    r.unified = d.unified as Record<string, string>;
  }
  if (d.devices !== undefined && d.devices !== null && !Array.isArray(d.devices)) throw usage(`-r: linux.resources.devices: expected an array, got ${typeName(d.devices)}`);
  return { resources: r, kernelMemory };
}

/** Numeric settings where 0 means "unchanged" (runc's update), and the cpuset lists where "" does. */
const ZERO_KEEPS: Readonly<Record<string, readonly string[]>> = {
  memory: ['limit', 'reservation', 'swap'],
  cpu: ['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems'],
  pids: ['limit'],
  blockIO: ['weight'],
};

/** The recorded resources with the update merged in: field by field in memory/cpu/pids/blockIO, lists replaced. */
export function mergeResources(recorded: LinuxResources | undefined, update: LinuxResources): LinuxResources {
  const out: LinuxResources = structuredClone(recorded ?? {});
  for (const section of ['memory', 'cpu', 'pids', 'blockIO'] as const) {
    const u = update[section] as Record<string, unknown> | undefined;
    if (!u) continue;
    const target = ((out as Record<string, unknown>)[section] ??= {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(u)) {
      if ((v === 0 || v === '') && ZERO_KEEPS[section]?.includes(k)) continue;
      target[k] = structuredClone(v);
    }
  }
  if (update.hugepageLimits) out.hugepageLimits = structuredClone(update.hugepageLimits);
  if (update.unified) out.unified = { ...(out.unified ?? {}), ...update.unified };
  return out;
}

/** Reads -r's document: a file, or stdin for "-". */
export function readResourcesArg(arg: string): string {
  try {
    return fs.readFileSync(arg === '-' ? 0 : arg, 'utf8');
  } catch (err) {
    throw usage(`-r: cannot read ${arg === '-' ? 'stdin' : arg}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function updateContainer(ctx: Context, id: string, update: ResourceUpdate): Promise<void> {
  const lock = lockContainer(ctx, id);
  try {
    const rec = ctx.store.read(id);
    assertTransition(id, statusOf(ctx.store, rec), 'update');
    if (update.kernelMemory) ctx.warn('kernel memory settings are ignored and will be removed (as runc 1.1)');
    const merged = mergeResources(rec.config.linux?.resources as LinuxResources | undefined, update.resources);
    // The manager warns about recorded settings it ignores at create already; say only what it refuses.
    cgroupsFromRecord(rec, ctx.rootless).apply(merged, {});
    rec.config.linux = { ...(rec.config.linux ?? {}), resources: merged as never };
    ctx.store.write(rec);
  } finally {
    lock.close();
  }
}
