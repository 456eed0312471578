// tsrun: a runc-compatible OCI runtime. Global flags come before the command, the command's flags after it.
import { TsrunError } from '../errors.js';
import { defaultRoot, isRootless } from '../rootless.js';
import { parseArgs } from './args.js';
import { type Globals, logError, makeContext } from './context.js';
import { COMMANDS, loadCommand } from './registry.js';
import { GLOBAL_OPTIONS, GLOBAL_VALUE_FLAGS } from './globals.js';
import { stderr, stdout } from './output.js';

const VERSION = '0.1.0';


const HELP = `usage: tsrun [global options] <command> [options] <container-id>

commands: ${Object.keys(COMMANDS).join(', ')}
global options: --root DIR (default /run/tsrun; $XDG_RUNTIME_DIR/tsrun when not root), --log FILE,
  --log-format text|json, --debug, --systemd-cgroup, --rootless true|false|auto
`;

/** Splits argv into global flags and the command with its own arguments. */
function splitArgv(argv: string[]): { global: string[]; command?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('-')) return { global: argv.slice(0, i), command: a, rest: argv.slice(i + 1) };
    if (GLOBAL_VALUE_FLAGS.has(a)) i++;
  }
  return { global: argv, rest: [] };
}

function toMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}

export async function main(argv: string[]): Promise<number> {
  // set for this process by bin/tsrun (Bun's JIT off or its thresholds, heap warm-up, and for short commands its GC, off); not
  // for the programs tsrun runs (hooks, ps, ip)
  delete process.env.BUN_JSC_useJIT;
  delete process.env.BUN_JSC_thresholdForJITAfterWarmUp;
  delete process.env.BUN_JSC_thresholdForJITSoon;
  delete process.env.BUN_JSC_useGC;
  delete process.env.BUN_JSC_useWarmUpMarkedBlocks;
  const { global, command, rest } = splitArgv(argv);
  const euid = process.geteuid?.() ?? 0;
  let globals: Globals = { root: defaultRoot(process.env, euid), logFormat: 'text', debug: false, systemdCgroup: false, rootless: euid !== 0 };
  try {
    const g = parseArgs(global, GLOBAL_OPTIONS, false).values;
    if (g.version) {
      stdout(`tsrun version ${VERSION}\nspec: 1.3.0\n`);
      return 0;
    }
    if (g.help || !command) {
      stdout(HELP);
      return g.help ? 0 : 1;
    }
    const logFormat = g['log-format'];
    if (logFormat !== 'text' && logFormat !== 'json') throw new TsrunError('usage', `--log-format: must be text or json, not "${logFormat}"`);
    globals = { ...globals, root: g.root ?? globals.root, log: g.log, logFormat, debug: g.debug, systemdCgroup: g['systemd-cgroup'], rootless: isRootless(g.rootless, euid) };
    const cmd = await loadCommand(command);
    if (!cmd) throw new TsrunError('usage', `unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
    const args = cmd.rawArgs
      ? { values: { help: rest[0] === '--help' || rest[0] === '-h' }, positionals: rest }
      : parseArgs(rest, { ...cmd.options, help: { type: 'boolean', short: 'h' } }, true);
    if (args.values.help) {
      stdout(`usage: tsrun ${cmd.usage}\n`);
      return 0;
    }
    const code = await cmd.run(makeContext(globals), args);
    return code ?? 0;
  } catch (e) {
    const message = toMessage(e);
    stderr(`tsrun: ${message}\n`);
    logError(globals, message);
    if (globals.debug && e instanceof Error && e.stack) stderr(`${e.stack}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    stderr(`tsrun: ${toMessage(e)}\n`);
    process.exitCode = 1;
  },
);
