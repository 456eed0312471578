// tsctl against a real tsrund: `run` on the example rootfs (stdio attached through FIFOs, the exit code passed on,
// --rm, -d, -t), the containers and tasks commands with tables and --format json, and its error lines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { which } from '../helpers/bundle.js';
import { EXAMPLE_ROOTFS, TSCTL, TestDaemon, skipReason } from './daemon.js';

const skip = skipReason();
const NS = 'ctl';

describe('tsctl', { skip, timeout: 180_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = new TestDaemon();
    await d.start();
    d.namespaces.add(NS);
  });
  after(() => d?.cleanup());

  const tsctl = (args: string[], input = '') => {
    const r = spawnSync(TSCTL, ['--address', d.address, '--namespace', NS, ...args], { encoding: 'utf8', input, timeout: 60_000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  const json = (args: string[]) => {
    const r = tsctl([...args, '--format', 'json']);
    assert.equal(r.status, 0, r.err);
    return JSON.parse(r.out);
  };

  it('run --rm prints the output, passes stdin and the exit code, and removes the container', () => {
    const r = tsctl(['run', '--rm', '--env', 'GREETING=hello', '--cwd', '/tmp', EXAMPLE_ROOTFS, 'r1', '--', 'sh', '-c', 'echo $GREETING from $(pwd); read line; echo got $line; echo oops >&2; exit 7'], 'input\n');
    assert.equal(r.out, 'hello from /tmp\ngot input\n', r.err);
    assert.equal(r.err, 'oops\n');
    assert.equal(r.status, 7);
    assert.deepEqual(json(['containers', 'list']), []);
  });

  it('run -d, then the tasks commands', () => {
    assert.equal(tsctl(['run', '-d', '--label', 'app=sleeper', EXAMPLE_ROOTFS, 'd1', '--', 'sleep', '1000']).status, 0);
    const list = tsctl(['containers', 'list']);
    assert.match(list.out, /^CONTAINER\s+ROOTFS\s+LABELS\s+CREATED\n/);
    assert.match(list.out, /\nd1\s+\S+\s+app=sleeper\s/);
    assert.equal(json(['containers', 'info', 'd1']).spec.process.args[0], 'sleep');
    const tasks = json(['tasks', 'list']);
    assert.equal(tasks[0].containerId, 'd1');
    assert.equal(tasks[0].status, 'RUNNING');
    assert.match(tsctl(['tasks', 'ps', 'd1']).out, new RegExp(`^PID\\s+EXEC\\n${tasks[0].pid}\\s`));
    assert.ok(json(['tasks', 'metrics', 'd1']).stats.pids.current >= 1);
    assert.equal(tsctl(['tasks', 'pause', 'd1']).status, 0);
    assert.equal(json(['tasks', 'list'])[0].status, 'PAUSED');
    assert.equal(tsctl(['tasks', 'resume', 'd1']).status, 0);
    const ex = tsctl(['tasks', 'exec', '--exec-id', 'x1', 'd1', '--', 'sh', '-c', 'echo in exec; exit 4']);
    assert.equal(ex.out, 'in exec\n');
    assert.equal(ex.status, 4);
    assert.equal(tsctl(['tasks', 'delete', '--exec-id', 'x1', 'd1']).out, '4\n');
    const running = tsctl(['tasks', 'delete', 'd1']);
    assert.equal(running.status, 1);
    assert.match(running.err, /^tsctl: task d1 is running: kill it before deleting it\n$/);
    assert.equal(tsctl(['tasks', 'kill', '-s', 'KILL', 'd1']).status, 0);
    assert.equal(tsctl(['tasks', 'wait', 'd1']).out, '137\n');
    assert.equal(tsctl(['tasks', 'delete', 'd1']).out, '137\n');
    assert.equal(tsctl(['containers', 'delete', 'd1']).status, 0);
  });

  it('says what is wrong in one line with a non-zero exit', () => {
    let r = tsctl(['tasks', 'kill', 'nosuch']);
    assert.equal(r.status, 1);
    assert.equal(r.err, 'tsctl: container nosuch not found in namespace ctl\n');
    r = tsctl(['run', EXAMPLE_ROOTFS, 'bad/id', '--', 'true']);
    assert.equal(r.status, 1);
    assert.match(r.err, /^tsctl: container id "bad\/id" is invalid/);
    r = tsctl(['frobnicate']);
    assert.equal(r.status, 2);
  });

  it('run -t gives the process a terminal of the caller\'s size', { skip: which('script') ? false : 'script(1) not installed' }, () => {
    const cmd = `stty cols 91 rows 27; ${TSCTL} --address ${d.address} --namespace ${NS} run -t --rm ${EXAMPLE_ROOTFS} t1 -- sh -c 'tty; stty size; exit 3'`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, input: '' });
    assert.match(r.stdout, /\/dev\/pts\/\d+\r*\n27 91\r*\n/, JSON.stringify(r.stdout + r.stderr));
    assert.equal(r.status, 3);
  });
});
