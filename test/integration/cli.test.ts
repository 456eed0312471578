// Global flags: --version, --help, unknown commands and flags, --debug (stderr, or the --log file), --log-format.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { type Bundle, makeBundle, needRoot, rt, tsrunRuntime } from '../helpers/bundle.js';

describe('tsrun command line', { skip: needRoot }, () => {
  const r = tsrunRuntime();
  const bundles: Bundle[] = [];
  after(() => {
    bundles.forEach((b) => b.remove());
    fs.rmSync(r.root, { recursive: true, force: true });
  });

  it('prints its version and help, and refuses unknown commands and flags in one line', () => {
    assert.match(rt(r, ['--version']).out, /^tsrun version \d+\.\d+\.\d+\nspec: 1\.3\.0\n$/);
    assert.match(rt(r, ['--help']).out, /^usage: tsrun/);
    const unknown = rt(r, ['frobnicate']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.err, /^tsrun: unknown command "frobnicate" \(commands: create, start, run, state, kill, delete, list, spec(, \w+)*\)\n$/);
    const flag = rt(r, ['state', '--nope', 'x']);
    assert.equal(flag.status, 1);
    assert.match(flag.err, /^tsrun: Unknown option '--nope'[^\n]*\n$/);
    const format = rt(r, ['--log-format', 'xml', 'list']);
    assert.equal(format.err, 'tsrun: --log-format: must be text or json, not "xml"\n');
  });

  it('--debug logs the lifecycle to stderr, or to the --log file in the chosen format', () => {
    const b = makeBundle('true');
    bundles.push(b);
    const res = rt(r, ['--debug', 'run', '-b', b.dir, `dbg-${process.pid}`]);
    assert.equal(res.status, 0, res.err);
    assert.match(res.err, /^tsrun: debug: create dbg-\d+: native stage \d+/m);
    assert.match(res.err, /^tsrun: debug: start dbg-\d+: released init \d+$/m);
    const log = path.join(b.dir, 'log.json');
    const logged = rt(r, ['--debug', '--log', log, '--log-format', 'json', 'run', '-b', b.dir, `dbg2-${process.pid}`]);
    assert.equal(logged.status, 0, logged.err);
    assert.equal(logged.err, '', 'nothing on stderr with --log');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; time: string });
    assert.ok(lines.length >= 4 && lines.every((l) => l.level === 'debug' && l.time && l.msg));
    const text = path.join(b.dir, 'log.txt');
    assert.equal(rt(r, ['--log', text, 'state', 'missing']).status, 1);
    assert.match(fs.readFileSync(text, 'utf8'), /^time="[^"]+" level=error msg="container missing does not exist"\n$/);
  });
});
