// `update`: the flags (runc 1.1's, with memory suffixes), -r JSON validation and the merge into the recorded resources.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeResources, parseBytes, parseResourcesJson, updateFromFlags } from '../../runtime/src/container/update.js';

describe('update flags', () => {
  it('memory sizes take k/m/g suffixes in 1024 multiples, and -1', () => {
    assert.equal(parseBytes('memory', '64m'), 64 * 1024 * 1024);
    assert.equal(parseBytes('memory', '64M'), 64 * 1024 * 1024);
    assert.equal(parseBytes('memory', '1g'), 1024 ** 3);
    assert.equal(parseBytes('memory', '512k'), 512 * 1024);
    assert.equal(parseBytes('memory', '1.5GB'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('memory', '1048576'), 1048576);
    assert.equal(parseBytes('memory', '-1'), -1);
    for (const bad of ['', 'x', '12q', '-2', '1mm']) assert.throws(() => parseBytes('memory', bad), /--memory/, bad);
  });

  it('builds linux.resources from the flags; 0 means unchanged', () => {
    const u = updateFromFlags({ memory: '64m', 'memory-swap': '-1', 'pids-limit': '20', 'cpu-quota': '50000', 'cpu-period': '100000', 'cpu-share': '512', 'cpuset-cpus': '0', 'blkio-weight': '300', 'memory-reservation': '0' });
    assert.deepEqual(u.resources, {
      memory: { limit: 67108864, swap: -1 },
      pids: { limit: 20 },
      cpu: { quota: 50000, period: 100000, shares: 512, cpus: '0' },
      blockIO: { weight: 300 },
    });
    assert.equal(u.kernelMemory, false);
  });

  it('kernel memory is accepted and flagged for a warning; RDT schemas are refused; bad numbers name the flag', () => {
    const u = updateFromFlags({ 'kernel-memory': '10m', 'kernel-memory-tcp': '1m' });
    assert.deepEqual(u.resources, {});
    assert.equal(u.kernelMemory, true);
    assert.throws(() => updateFromFlags({ 'l3-cache-schema': 'L3:0=f' }), /--l3-cache-schema: Intel RDT/);
    assert.throws(() => updateFromFlags({ 'mem-bw-schema': 'MB:0=70' }), /--mem-bw-schema: Intel RDT/);
    assert.throws(() => updateFromFlags({ 'cpu-period': '-5' }), /--cpu-period/);
    assert.throws(() => updateFromFlags({ 'pids-limit': 'ten' }), /--pids-limit/);
  });
});

describe('update -r JSON', () => {
  it('accepts containerd\'s LinuxResources, drops nulls and devices, flags kernel memory', () => {
    const u = parseResourcesJson(JSON.stringify({ devices: [{ allow: false, access: 'rwm' }], memory: { limit: 1000000, swap: null, kernel: 5 }, cpu: { shares: 2, cpus: '0-1' }, pids: { limit: 10 }, unknown: 1 }));
    assert.deepEqual(u.resources, { memory: { limit: 1000000 }, cpu: { shares: 2, cpus: '0-1' }, pids: { limit: 10 } });
    assert.equal(u.kernelMemory, true);
  });

  it('refuses malformed JSON and wrong types with one line naming the field', () => {
    assert.throws(() => parseResourcesJson('{bad'), /^Error: -r: invalid JSON/);
    const cases: [string, RegExp][] = [
      ['{"memory":{"limit":"64m"}}', /linux\.resources\.memory\.limit: expected an integer, got "64m"/],
      ['{"pids":{"limit":1.5}}', /linux\.resources\.pids\.limit: expected an integer/],
      ['{"cpu":{"shares":-1}}', /linux\.resources\.cpu\.shares: expected an unsigned integer/],
      ['{"cpu":{"cpus":3}}', /linux\.resources\.cpu\.cpus: expected a string/],
      ['{"memory":[]}', /linux\.resources\.memory: expected an object, got array/],
      ['[1]', /linux\.resources: expected an object/],
      ['{"blockIO":{"throttleReadBpsDevice":[{"major":8,"rate":"x"}]}}', /blockIO\.throttleReadBpsDevice\[0\]\.minor is required/],
      ['{"hugepageLimits":[{"pageSize":2,"limit":1}]}', /hugepageLimits\[0\]\.pageSize: expected a string/],
      ['{"unified":{"memory.high":5}}', /unified\["memory\.high"\]: expected a string/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => parseResourcesJson(text), (e: Error) => re.test(e.message) && !e.message.includes('\n'), text);
    }
  });
});

describe('merge into the recorded resources', () => {
  const recorded = {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 100, reservation: 50 },
    cpu: { shares: 1024, cpus: '0-1' },
    pids: { limit: 100 },
  };

  it('overrides field by field and keeps the rest, devices included', () => {
    const m = mergeResources(recorded, { memory: { limit: 200 }, pids: { limit: 20 }, blockIO: { weight: 300 } });
    assert.deepEqual(m, { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 200, reservation: 50 }, cpu: { shares: 1024, cpus: '0-1' }, pids: { limit: 20 }, blockIO: { weight: 300 } });
    assert.equal(recorded.memory.limit, 100, 'the recorded resources are not modified');
  });

  it('0 and "" leave a setting as it is; unified merges by key', () => {
    const m = mergeResources({ ...recorded, unified: { a: '1' } }, { memory: { limit: 0 }, cpu: { cpus: '' }, unified: { b: '2' } });
    assert.equal(m.memory?.limit, 100);
    assert.equal(m.cpu?.cpus, '0-1');
    assert.deepEqual(m.unified, { a: '1', b: '2' });
  });

  it('works without recorded resources', () => {
    assert.deepEqual(mergeResources(undefined, { pids: { limit: 5 } }), { pids: { limit: 5 } });
  });
});
