// linux.resources of config.json (runtime-spec config-linux.md "Control groups"), and what a controller's apply()
// works on: one cgroup directory's files (ResourceFiles). Every failure is one line naming the config field, the file
// and the errno, e.g. `linux.resources.memory.limit: write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: EBUSY
// (device or resource busy)`. Values are written the way runc 1.1 writes them; the controllers say where they differ.
import * as path from 'node:path/posix';
import { CgroupError, CGROUP_CODES, errCode, errnoText } from './errors.js';
import type { CgroupIo } from './io.js';

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** a (all, the default), c or b. */
  type?: string;
  /** Unset means every number (`*`). */
  major?: number;
  minor?: number;
  /** Any of r, w, m. */
  access?: string;
}

export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  /** memory + swap, as in cgroup v1. */
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxPids {
  limit?: number;
}

export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** `<size><K|M|G>B`, e.g. 2MB: the name in hugetlb.<pageSize>.* files. */
  pageSize: string;
  limit: number;
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /** Device name -> limits. */
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name -> value, written as given. */
  unified?: Record<string, string>;
}

export interface ApplyOptions {
  /** Where notes about ignored settings go (create passes the CLI's warn); silent by default. */
  warn?: (message: string) => void;
  /** Rootless: device rules need CAP_SYS_ADMIN on the host, so they are not written (runc ignores their errors). */
  skipDevices?: boolean;
}

/** `linux.resources.<field>`: how errors and warnings name a setting. */
export const fieldName = (field: string): string => `linux.resources.${field}`;

/** A bad value, found before anything is written. */
export function invalid(field: string, why: string): CgroupError {
  return new CgroupError(CGROUP_CODES.invalidResources, `${fieldName(field)}: ${why}`);
}

/** Decimal text of an integer, exact beyond 2^53 (JSON numbers that large arrive as doubles). */
export function dec(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : String(n);
}

/** A cgroup file's number; "max" reads as 2^64-1, like runc's GetCgroupParamUint. */
export function readU64(text: string): bigint {
  const t = text.trim();
  return t === 'max' ? 2n ** 64n - 1n : BigInt(t);
}

/** `<dev> hca_handle=N hca_object=M` for rdma.max (v1 and v2 alike). */
export function rdmaLine(device: string, l: LinuxRdma): string {
  return [device, ...(l.hcaHandles === undefined ? [] : [`hca_handle=${dec(l.hcaHandles)}`]), ...(l.hcaObjects === undefined ? [] : [`hca_object=${dec(l.hcaObjects)}`])].join(' ');
}

/**
 * pids.max for linux.resources.pids.limit (v1 and v2), undefined when unset. Negative is "max". 0 is written as 0:
 * the runtime-spec says 0 is a valid limit runtimes SHOULD honour (runc 1.1 skips it, runc 1.3 writes 1); engines that
 * mean "unlimited" send -1 (docker maps its 0 to -1 itself).
 */
export function pidsMax(r: LinuxResources): string | undefined {
  const limit = r.pids?.limit;
  if (limit === undefined) return undefined;
  return limit < 0 ? 'max' : dec(limit);
}

export interface FilesOptions {
  warn: (message: string) => void;
  /** Explains a write that failed with ENOENT/EPERM, e.g. a v2 controller that is not enabled; undefined: no better words. */
  explainMissing?: (field: string, file: string) => CgroupError | undefined;
  /** A short reason for a file missing on this host (v1: a kernel feature that is off). */
  missingHint?: (file: string) => string | undefined;
}

/**
 * One controller's files in one cgroup directory. dir is undefined when the host has no hierarchy for the controller:
 * then only asking for something fails (runc calls Set with an empty path and fails on the first write, so settings
 * left at their defaults pass), with an error naming the setting and the controller.
 */
export class ResourceFiles {
  constructor(
    readonly controller: string,
    readonly dir: string | undefined,
    private readonly io: CgroupIo,
    private readonly opts: FilesOptions,
  ) {}

  warn(message: string): void {
    this.opts.warn(message);
  }

  has(file: string): boolean {
    return this.dir !== undefined && this.io.exists(path.join(this.dir, file));
  }

  write(field: string, file: string, value: string, hint?: string): void {
    const dir = this.need(field);
    try {
      this.io.write(path.join(dir, file), value);
    } catch (err) {
      throw this.failure(field, 'write', file, err, hint);
    }
  }

  read(field: string, file: string): string {
    const dir = this.need(field);
    try {
      return this.io.read(path.join(dir, file));
    } catch (err) {
      throw this.failure(field, 'read', file, err);
    }
  }

  /** Sets the directory's device filter (cgroup v2), failing as `linux.resources.devices: <dir>: bpf(...): ...`. */
  setDeviceFilter(field: string, program: Uint8Array): void {
    const dir = this.need(field);
    try {
      this.io.setDeviceFilter(dir, program);
    } catch (err) {
      const code = errCode(err) ?? 'EIO';
      const why = err instanceof Error ? err.message : String(err);
      throw new CgroupError(code, `${fieldName(field)}: device filter of ${dir}: ${why}`, { path: dir, cause: err });
    }
  }

  /** An error about a file of this directory, in the same one-line form as failed writes. */
  failure(field: string, op: string, file: string, err: unknown, hint?: string): CgroupError {
    const code = errCode(err) ?? 'EIO';
    if (code === 'ENOENT' || code === 'EPERM') {
      const better = this.opts.explainMissing?.(field, file);
      if (better) return better;
    }
    const p = path.join(this.dir ?? '', file);
    const why = hint ?? (code === 'ENOENT' ? this.opts.missingHint?.(file) : undefined);
    return new CgroupError(code, `${fieldName(field)}: ${op} ${p}: ${code} (${errnoText(code)})${why === undefined ? '' : `: ${why}`}`, { path: p, cause: err });
  }

  private need(field: string): string {
    if (this.dir !== undefined) return this.dir;
    throw new CgroupError(CGROUP_CODES.noController, `${fieldName(field)}: the ${this.controller} cgroup controller is not mounted on this host (no cgroup v1 hierarchy has it)`);
  }
}

/** Warnings for the settings this cgroup version ignores, as runc 1.1 does (it warns only about kernel memory). */
export function ignoredSettings(r: LinuxResources, version: 'v1' | 'v2'): string[] {
  const out: [string, string][] = [];
  const m = r.memory;
  const kmem = 'kernel memory limits are deprecated by the kernel, and runc ignores them too';
  if (m?.kernel !== undefined) out.push(['memory.kernel', kmem]);
  if (m?.kernelTCP !== undefined) out.push(['memory.kernelTCP', kmem]);
  if (m?.useHierarchy !== undefined) out.push(['memory.useHierarchy', 'the kernel decides hierarchical accounting']);
  if (version === 'v2') {
    const v1Only = 'it has no cgroup v2 equivalent';
    if (m?.swappiness !== undefined) out.push(['memory.swappiness', v1Only]);
    if (m?.disableOOMKiller === true) out.push(['memory.disableOOMKiller', v1Only]);
    if (r.cpu?.realtimeRuntime) out.push(['cpu.realtimeRuntime', v1Only]);
    if (r.cpu?.realtimePeriod) out.push(['cpu.realtimePeriod', v1Only]);
    if (r.blockIO?.leafWeight || r.blockIO?.weightDevice?.some((w) => w.leafWeight)) out.push(['blockIO.leafWeight', v1Only]);
    if (r.network?.classID || (r.network?.priorities?.length ?? 0) > 0) out.push(['network', 'net_cls and net_prio are cgroup v1 controllers']);
  }
  return out.map(([field, why]) => `${fieldName(field)} is ignored: ${why}`);
}

/**
 * hugetlb.<pageSize><suffix> for each limit in order (v1: .limit_in_bytes, v2: .max), and the reservation limit
 * hugetlb.<pageSize>.rsvd<suffix> where the kernel has it (runc 1.2; the runtime-spec asks for it). Like runc, once
 * a reservation file is missing the kernel has none for any size.
 */
export function setHugepageLimits(f: ResourceFiles, r: LinuxResources, suffix: string): void {
  let rsvd = true;
  for (const [i, l] of (r.hugepageLimits ?? []).entries()) {
    const field = `hugepageLimits[${i}]`;
    const file = `hugetlb.${l.pageSize}${suffix}`;
    f.write(field, file, dec(l.limit), f.has(file) ? undefined : `no huge pages of size ${l.pageSize} on this host`);
    if (rsvd && f.has(`hugetlb.${l.pageSize}.rsvd${suffix}`)) f.write(field, `hugetlb.${l.pageSize}.rsvd${suffix}`, dec(l.limit));
    else rsvd = false;
  }
}
