// A task's bundle is checked with tsrun's own validation (schema and the rules it cannot express) before a shim
// is started: a spec tsrun refuses comes back as InvalidArgument with tsrun's message, word for word, and costs no
// shim. Failures only the runtime can find (a syscall failing) come back from the shim as Unknown with tsrun's
// message too.
import { verifyBundle } from '../../../runtime/src/config/load.js';
import { ConfigError } from '../../../runtime/src/config/errors.js';
import { invalid } from '../errors.js';

export async function checkBundle(bundle: string, spec: object): Promise<void> {
  try {
    await verifyBundle({ bundle, doc: structuredClone(spec) });
  } catch (err) {
    if (err instanceof ConfigError) throw invalid(err.message.split('\n')[0] ?? err.message);
    throw err;
  }
}
