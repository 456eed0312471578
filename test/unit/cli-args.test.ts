// The CLI's argument parser against node:util's parseArgs (strict), which it replaces to keep node:util out of every
// CLI start: the same values and positionals where parseArgs accepts, an error where it refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs as nodeParseArgs } from 'node:util';
import { type OptionSpec, parseArgs } from '../../runtime/src/cli/args.js';

const OPTIONS: Record<string, OptionSpec> = {
  root: { type: 'string' },
  'log-format': { type: 'string', default: 'text' },
  force: { type: 'boolean', short: 'f', default: false },
  detach: { type: 'boolean', short: 'd' },
  resources: { type: 'string', short: 'r' },
  env: { type: 'string', short: 'e', multiple: true },
};

const node = (args: string[], allowPositionals: boolean) => nodeParseArgs({ args, options: OPTIONS, strict: true, allowPositionals });

describe('cli argument parser', () => {
  const accepted: string[][] = [
    [],
    ['id'],
    ['--root', '/run/x', 'id'],
    ['--root=/run/x', 'id', '--force'],
    ['-f', 'id'],
    ['-fd', 'id'],
    ['-r', '-', 'id'],
    ['-r-', 'id'],
    ['-rfile.json', 'id'],
    ['--resources', '-', 'id'],
    ['-e', 'A=1', '--env', 'B=2', '--env=C=3', 'id'],
    ['--log-format', 'json'],
    ['id', '--', '--force', '-x'],
    ['-', 'id'],
  ];
  for (const args of accepted) {
    it(`accepts ${JSON.stringify(args)} as parseArgs does`, () => {
      const want = node(args, true);
      const got = parseArgs(args, OPTIONS, true);
      assert.deepEqual({ ...got.values }, { ...want.values });
      assert.deepEqual(got.positionals, want.positionals);
    });
  }

  const refused: [string[], RegExp][] = [
    [['--nope', 'id'], /^Unknown option '--nope'/],
    [['-x'], /^Unknown option '-x'/],
    [['--root'], /^Option '--root <value>' argument missing/],
    [['--root', '--force'], /argument missing/],
    [['-r'], /^Option '-r <value>' argument missing/],
    [['--force=yes'], /^Option '--force' does not take an argument/],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${JSON.stringify(args)} in one line, as parseArgs does`, () => {
      assert.throws(() => node(args, true));
      assert.throws(() => parseArgs(args, OPTIONS, true), { message });
    });
  }

  it('refuses positionals where a command takes none', () => {
    assert.throws(() => node(['id'], false));
    assert.throws(() => parseArgs(['id'], OPTIONS, false), { message: /^Unexpected argument .id./ });
  });
});
