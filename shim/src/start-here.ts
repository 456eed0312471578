// `tsrun start` without the process: with tsrun as its runtime, the shim releases its container by running
// tsrun's own start code (runtime/src/container/start.ts) here, as containerd's shim would run `runc start`. That
// spares a process per container (~6 ms of CPU, the most of any step the shim takes after create). The state is
// the runtime's: the same --root, the same exec fifo, the same checks, the same error text. A container with
// poststart hooks is left to the command: tsrun runs them synchronously, which the shim's event loop must not do.
import { startContainer } from '../../runtime/src/container/start.js';
import { defaultRoot } from '../../runtime/src/rootless.js';
import { Store } from '../../runtime/src/state/store.js';

/** Starts container id (state under root, tsrun's default when not given); false when the command must do it. */
export async function startHere(root: string | undefined, id: string, log: (m: string) => void): Promise<boolean> {
  const store = new Store(root ?? defaultRoot(process.env, process.geteuid?.() ?? 0));
  const rec = store.read(id);
  if (rec.hooks?.poststart?.length) return false;
  await startContainer({ store, warn: log, debugLog: () => {} }, id, rec);
  log(`start ${id}: released its init ${rec.pid} here (tsrun's start code)`);
  return true;
}
