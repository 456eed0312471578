// A stand-in ProcessIO for when no stdio is wanted: the process gets /dev/null and nothing is logged. The shim
// uses the real one (io/) when it is built in; this keeps process management testable on its own.
import type { OpenProcessIO } from './io/types.js';

export const openNullIO: OpenProcessIO = async () => ({
  runtimeStdio: () => ({ stdio: ['ignore', 'ignore', 'ignore'] }),
  started: async () => {},
  closeStdin: () => {},
  writeStdin: () => {},
  resize: () => {},
  attach: () => () => {},
  drained: async () => {},
  close: () => {},
});
