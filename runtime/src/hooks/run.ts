// Hooks that run in the runtime namespace (prestart, createRuntime, poststart, poststop): the state JSON on
// stdin, args and env as given, a timeout in seconds (config.md "POSIX-platform Hooks").
import type { Hook, HookKind } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import { lazyBuiltin } from '../lazy-builtin.js';

const childProcess = lazyBuiltin<typeof import('node:child_process')>('node:child_process');

function firstLine(buf: Buffer | string | null | undefined): string {
  return String(buf ?? '').trim().split('\n')[0] ?? '';
}

export function runHook(kind: HookKind, hook: Hook, state: object): void {
  const [argv0, ...rest] = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  const r = childProcess().spawnSync(hook.path, rest, {
    argv0,
    input: JSON.stringify(state),
    env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    timeout: hook.timeout ? hook.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const what = `${kind} hook "${hook.path}"`;
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') throw new TsrunError('hook_failed', `${what} timed out after ${hook.timeout}s`);
    throw new TsrunError('hook_failed', `${what}: ${r.error.message}`);
  }
  if (r.signal) throw new TsrunError('hook_failed', `${what} killed by ${r.signal}${hook.timeout ? ` (timeout ${hook.timeout}s)` : ''}`);
  if (r.status !== 0) {
    const out = firstLine(r.stderr) || firstLine(r.stdout);
    throw new TsrunError('hook_failed', `${what} exited with status ${r.status}${out ? `: ${out}` : ''}`);
  }
}

export function runHooks(kind: HookKind, hooks: Hook[] | undefined, state: object): void {
  for (const hook of hooks ?? []) runHook(kind, hook, state);
}

/** poststart and poststop failures are logged, never fatal (config.md). */
export function runHooksWarn(kind: HookKind, hooks: Hook[] | undefined, state: object, warn: (m: string) => void): void {
  for (const hook of hooks ?? []) {
    try {
      runHook(kind, hook, state);
    } catch (e) {
      warn((e as Error).message);
    }
  }
}
