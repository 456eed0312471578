// The shim's stdio and logs (see types.ts for the contract with process management): openProcessIO for each
// process, and the log reader for tests and the supervisor's `logs`.
import { openPipes } from './pipes.js';
import { loadRawIo } from './raw.js';
import { openTerminal } from './terminal.js';
import type { OpenProcessIO } from './types.js';

export const openProcessIO: OpenProcessIO = async (req, log) => {
  const raw = await loadRawIo();
  return req.terminal ? openTerminal(raw, req, log) : openPipes(raw, req, log);
};

export { type LogEntry, logFiles, parseLog, readLog, reassemble } from './logread.js';
export type { LogOptions, OutputListener, OutputStream, ProcessIO, RuntimeStdio, StdioRequest } from './types.js';
