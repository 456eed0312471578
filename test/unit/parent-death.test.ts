import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from '../../runtime/src/plan/ops.js';
import { withParentDeath } from '../../runtime/src/process/init.js';

const plan: Plan = { ops: [{ op: 'lookpath', file: 'sh', path: '/bin' }, { op: 'ready' }, { op: 'fifo_wait' }, { op: 'exec', args: ['sh'], env: [] }], extraFds: 0 };

describe('withParentDeath (TSRUN_KILL_WITH_PARENT)', () => {
  it('puts parent_death right after ready when asked for', () => {
    assert.deepEqual(withParentDeath(plan, { TSRUN_KILL_WITH_PARENT: '1' }).ops.map((o) => o.op), ['lookpath', 'ready', 'parent_death', 'fifo_wait', 'exec']);
  });
  it('leaves the plan alone otherwise', () => {
    assert.equal(withParentDeath(plan, {}), plan);
    assert.equal(withParentDeath(plan, { TSRUN_KILL_WITH_PARENT: '0' }), plan);
  });
});
