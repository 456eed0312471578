// The stats shape of `runc events` (runc 1.1's types/events.go), with bigint counters.
export interface CpuUsage {
  total?: bigint;
  percpu?: bigint[];
  percpu_kernel?: bigint[];
  percpu_user?: bigint[];
  kernel: bigint;
  user: bigint;
}
export interface Throttling {
  periods?: bigint;
  throttledPeriods?: bigint;
  throttledTime?: bigint;
}
export interface CpuStats {
  usage: CpuUsage;
  throttling: Throttling;
}
export interface CpusetStats {
  cpus?: number[];
  cpu_exclusive: bigint;
  mems?: number[];
  mem_hardwall: bigint;
  mem_exclusive: bigint;
  memory_migrate: bigint;
  memory_spread_page: bigint;
  memory_spread_slab: bigint;
  memory_pressure: bigint;
  sched_load_balance: bigint;
  sched_relax_domain_level: bigint;
}
export interface MemoryEntry {
  limit: bigint;
  usage?: bigint;
  max?: bigint;
  failcnt: bigint;
}
export interface MemoryStats {
  cache?: bigint;
  usage: MemoryEntry;
  swap: MemoryEntry;
  kernel: MemoryEntry;
  kernelTCP: MemoryEntry;
  raw?: Record<string, bigint>;
}
export interface PidsStats {
  current?: bigint;
  limit?: bigint;
}
export interface BlkioEntry {
  major?: bigint;
  minor?: bigint;
  op?: string;
  value?: bigint;
}
export interface BlkioStats {
  ioServiceBytesRecursive?: BlkioEntry[];
  ioServicedRecursive?: BlkioEntry[];
  ioQueueRecursive?: BlkioEntry[];
  ioServiceTimeRecursive?: BlkioEntry[];
  ioWaitTimeRecursive?: BlkioEntry[];
  ioMergedRecursive?: BlkioEntry[];
  ioTimeRecursive?: BlkioEntry[];
  sectorsRecursive?: BlkioEntry[];
}
export interface HugetlbStats {
  usage?: bigint;
  max?: bigint;
  failcnt: bigint;
}
export interface Stats {
  cpu: CpuStats;
  cpuset: CpusetStats;
  memory: MemoryStats;
  pids: PidsStats;
  blkio: BlkioStats;
  hugetlb: Record<string, HugetlbStats>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}
