// Bad input on the command line: container ids, commands on missing containers, failing hooks, --log json.
// Each case: one-line error naming what was wrong, non-zero exit, nothing left behind (helpers/errors.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { type Bundle, needRoot, rt, stateOf } from '../helpers/bundle.js';
import { assertNothingLeft, begin, bundle, cgroupDirsOf, containers, createFails, esc, oneLineError, procState, readOr, runtime, tmpdir, tsrun, uniq } from '../helpers/errors.js';

describe('tsrun errors: ids, commands, hooks and the log', { skip: needRoot }, () => {
  describe('container ids', () => {
    test('an id that already exists: the second create fails, the first is untouched', async () => {
      const r = runtime();
      const id = `err-${uniq()}`;
      const first = bundle((s) => {
        if (s.process) s.process.args = ['sleep', '60'];
      });
      const c1 = tsrun(begin(r, id, first), ['create', '-b', first.dir, id]);
      containers.push({ r, id });
      assert.equal(c1.status, 0, c1.err);
      const before = stateOf(r, id);
      assert.equal(before.status, 'created');
      const firstCgroups = cgroupDirsOf('', first.cgroupsPath).filter((d) => fs.existsSync(d));
      assert.ok(firstCgroups.length > 0, 'the first container has cgroup dirs');

      const second = bundle();
      const c = begin(r, id, second, [id]);
      oneLineError(tsrun(c, ['create', '-b', second.dir, id]), new RegExp(`${esc(id)}.*already exists`));
      // nothing of the second create: no cgroup for its cgroupsPath, no mounts or processes in its bundle
      await assertNothingLeft({ ...c, id: '' });

      const now = stateOf(r, id);
      assert.equal(now.status, 'created');
      assert.equal(now.pid, before.pid);
      assert.equal(now.bundle, before.bundle);
      assert.ok(procState(now.pid) !== undefined && procState(now.pid) !== 'Z', `first container's init ${now.pid} is gone`);
      for (const d of firstCgroups) assert.ok(fs.existsSync(d), `first container's cgroup ${d} was removed`);
      assert.ok(fs.existsSync(path.join(r.root, id, 'state.json')), 'first container state removed');
      const del = rt(r, ['delete', '--force', id]);
      assert.equal(del.status, 0, del.err);
    });

    const escape = `../tsrun-err-escape-${process.pid}`;
    const badIds: [string, string, RegExp][] = [
      ['containing /', 'a/b', /id.*"a\/b"|"a\/b".*id/i],
      ['absolute', '/abs', /id.*"\/abs"/i],
      ['..', '..', /id.*"\.\."/i],
      ['containing .. (escaping the root)', escape, new RegExp(`id.*"${esc(escape)}"`, 'i')],
      ['empty', '', /id.*empty|empty.*id/i],
    ];
    for (const [what, id, re] of badIds) {
      test(`an id ${what}`, async () => {
        const b = bundle();
        const r = runtime();
        await createFails(b, [re], id, r);
        assert.ok(!fs.existsSync(path.join(r.root, escape)), 'state dir made outside the root');
        // the other commands refuse it the same way
        for (const cmd of [['state', id], ['start', id], ['kill', id, 'KILL'], ['delete', id]]) {
          const c = begin(r, id, b);
          oneLineError(tsrun(c, cmd), re);
          await assertNothingLeft(c);
        }
      });
    }
  });

  describe('other commands', () => {
    test('kill with an unknown signal name leaves the container as it was', async () => {
      const r = runtime();
      const id = `err-${uniq()}`;
      const b = bundle((s) => {
        if (s.process) s.process.args = ['sleep', '60'];
      });
      const res = tsrun(begin(r, id, b), ['create', '-b', b.dir, id]);
      containers.push({ r, id });
      assert.equal(res.status, 0, res.err);
      const before = stateOf(r, id);
      oneLineError(tsrun(begin(r, id, b), ['kill', id, 'SIGNOPE']), /signal/i, /SIGNOPE/);
      oneLineError(tsrun(begin(r, id, b), ['kill', id, 'NOPE']), /signal/i, /NOPE/);
      const now = stateOf(r, id);
      assert.equal(now.status, 'created');
      assert.equal(now.pid, before.pid);
      const del = rt(r, ['delete', '--force', id]);
      assert.equal(del.status, 0, del.err);
    });

    for (const cmd of [['kill'], ['kill', 'KILL'], ['start'], ['state'], ['delete']]) {
      test(`${cmd.join(' ')} of an id that does not exist`, async () => {
        const r = runtime();
        const id = `nope-${uniq()}`;
        const c = begin(r, id);
        const args = [cmd[0] as string, id, ...cmd.slice(1)];
        oneLineError(tsrun(c, args), new RegExp(`container ${esc(id)} does not exist`));
        await assertNothingLeft(c);
      });
    }
  });

  describe('hooks', () => {
    test('a prestart hook that exits 1', async () => {
      const dir = tmpdir();
      const hook = path.join(dir, 'fail-hook.sh');
      const marker = path.join(dir, 'ran');
      fs.writeFileSync(hook, `#!/bin/sh\ncat > ${marker}\necho "hook says no" >&2\nexit 1\n`, { mode: 0o755 });
      const b = bundle((s) => {
        s.hooks = { prestart: [{ path: hook }] };
      });
      await createFails(b, [/prestart/, new RegExp(esc(hook)), /\b1\b/]);
      assert.ok(fs.existsSync(marker), 'the hook ran');
      const state = JSON.parse(readOr(marker)) as { pid?: number };
      // the container init the hook saw must be gone
      if (state.pid) assert.ok(procState(state.pid) === undefined || procState(state.pid) === 'Z', `init ${state.pid} still running`);
    });
  });

  describe('--log --log-format json', () => {
    const cases: [string, () => Bundle & { cgroupsPath: string }, RegExp[]][] = [
      [
        'a config error',
        () =>
          bundle((s) => {
            s.root = { path: 'nowhere' };
          }),
        [/root\.path/],
      ],
      [
        'a native stage error',
        () =>
          bundle((s) => {
            s.mounts = [...(s.mounts ?? []), { destination: '/mnt/x', type: 'nosuchfs', source: 'none' }];
          }),
        [/ENODEV/],
      ],
      [
        'a missing program',
        () =>
          bundle((s) => {
            if (s.process) s.process.args = ['nope'];
          }),
        [/executable file not found/],
      ],
    ];
    for (const [what, make, patterns] of cases) {
      test(`${what} is also one JSON line in the log`, async () => {
        const b = make();
        const log = path.join(tmpdir(), 'tsrun.log');
        const r = runtime();
        const id = `err-${uniq()}`;
        const c = begin(r, id, b);
        const res = tsrun(c, ['--log', log, '--log-format', 'json', 'create', '-b', b.dir, id]);
        if (res.status === 0) containers.push({ r, id });
        const msg = oneLineError(res, ...patterns);
        await assertNothingLeft(c);
        const lines = readOr(log).split('\n').filter((l) => l !== '');
        const parsed = lines.map((l) => {
          try {
            return JSON.parse(l) as { level?: string; msg?: string };
          } catch {
            return assert.fail(`log line is not JSON: ${JSON.stringify(l)}`);
          }
        });
        const errors = parsed.filter((p) => p.level === 'error');
        assert.equal(errors.length, 1, `expected one error line in the log, got ${JSON.stringify(lines)}`);
        assert.equal(errors[0]?.msg, msg);
      });
    }
  });
});
