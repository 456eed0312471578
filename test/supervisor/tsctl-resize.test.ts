// tsctl run -t follows the caller's window: a size change of the caller's terminal (SIGWINCH) reaches the
// container's terminal while it runs. The test runs tsctl inside script(1)'s pty, waits until the container's
// shell has set its WINCH trap, changes the pty's size with stty, and reads the new size the container reports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { which } from '../helpers/bundle.js';
import { EXAMPLE_ROOTFS, TSCTL, TestDaemon, skipReason } from './daemon.js';

const skip = skipReason() || (which('script') ? false : 'script(1) not installed');
const NS = 'ctl-resize';

describe('tsctl run -t', { skip, timeout: 120_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = new TestDaemon();
    await d.start();
    d.namespaces.add(NS);
  });
  after(() => d?.cleanup());

  it('passes a live window size change on to the container\'s terminal', () => {
    const ctl = `${TSCTL} --address ${d.address} --namespace ${NS}`;
    // in the container: report the size, and again on WINCH; a second process (sleep) means the trap is set
    const inner = `trap 'echo now; stty size; exit 4' WINCH; echo start; stty size; while true; do sleep 1; done`;
    const script = [
      'stty cols 91 rows 27',
      `${ctl} run -t --rm ${EXAMPLE_ROOTFS} w1 -- sh -c "${inner}" & pid=$!`,
      `n=0; until [ "$(${ctl} tasks ps w1 --format json 2>/dev/null | grep -o '"pid"' | wc -l)" -ge 2 ]; do n=$((n+1)); [ $n -gt 300 ] && exit 99; sleep 0.1; done`,
      'stty cols 100 rows 30',
      'wait $pid',
    ].join('\n');
    const r = spawnSync('script', ['-qfec', script, '/dev/null'], { encoding: 'utf8', timeout: 90_000, input: '' });
    const out = r.stdout.replace(/\r/g, '');
    assert.match(out, /start\n27 91\n/, JSON.stringify(r.stdout + r.stderr));
    assert.match(out, /now\n30 100\n/, JSON.stringify(r.stdout + r.stderr));
    assert.equal(r.status, 4, JSON.stringify(r.stdout + r.stderr));
  });
});
