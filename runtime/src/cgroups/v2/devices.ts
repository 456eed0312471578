// devices (v2): cgroup v2 has no devices files; the kernel asks BPF_PROG_TYPE_CGROUP_DEVICE programs attached to the
// cgroup instead. The program is generated from the same model as v1's devices.allow/deny (../devices.ts: the spec's
// rules, then runc's default allowed devices), so both versions allow exactly the same accesses, and is set on every
// apply, as runc 1.1 does: create attaches it, `update` replaces it (atomically where the kernel can).
import { targetState } from '../devices.js';
import type { Controller } from '../manager.js';
import { deviceProgram, encodeProgram } from './device-bpf.js';

export const devices: Controller = {
  name: 'devices',
  check(r) {
    targetState(r);
  },
  set(f, r) {
    f.setDeviceFilter('devices', encodeProgram(deviceProgram(targetState(r))));
  },
};
