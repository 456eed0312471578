// tsrun's global flags (before the command), shared by the CLI's parser and runtime/src/launch.ts, which finds the
// command word in a tsrun command line as bin/tsrun does.
export const GLOBAL_OPTIONS = {
  root: { type: 'string' },
  log: { type: 'string' },
  'log-format': { type: 'string', default: 'text' },
  debug: { type: 'boolean', default: false },
  'systemd-cgroup': { type: 'boolean', default: false },
  rootless: { type: 'string' },
  criu: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** The global flags that take a value ("--root DIR"): the command is the first word that is neither. */
export const GLOBAL_VALUE_FLAGS: ReadonlySet<string> = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([k]) => `--${k}`),
);
