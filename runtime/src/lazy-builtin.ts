// Node builtins a command needs only on some paths (hooks, error messages, signal names), loaded on first use:
// on Bun, loading node:child_process at start costs about 1.5 ms of every `tsrun start`, and node:os 0.4 ms.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazyBuiltin<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}
