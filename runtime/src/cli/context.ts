// Global flags (runc's: --root, --log, --log-format, --debug, --systemd-cgroup) and what every command shares.
import * as fs from 'node:fs';
import { Store } from '../state/store.js';
import { stderr } from './output.js';

export interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  /** Cgroups that cannot be created are skipped when no limits need them (runc's --rootless; auto: not root). */
  rootless: boolean;
}

export interface Context extends Globals {
  store: Store;
  warn(message: string): void;
  debugLog(message: string): void;
}

function logLine(g: Globals, level: string, message: string): void {
  if (!g.log) return;
  const time = new Date().toISOString();
  const line = g.logFormat === 'json' ? JSON.stringify({ level, msg: message, time }) : `time="${time}" level=${level} msg=${JSON.stringify(message)}`;
  try {
    fs.appendFileSync(g.log, `${line}\n`);
  } catch {
    // the log is best effort: the message still goes to stderr
  }
}

export function makeContext(g: Globals): Context {
  return {
    ...g,
    store: new Store(g.root),
    warn(message) {
      stderr(`tsrun: warning: ${message}\n`);
      logLine(g, 'warning', message);
    },
    // As runc: debug lines go to the --log file, or to stderr without one.
    debugLog(message) {
      if (!g.debug) return;
      if (g.log) logLine(g, 'debug', message);
      else stderr(`tsrun: debug: ${message}\n`);
    },
  };
}

export function logError(g: Globals, message: string): void {
  logLine(g, 'error', message);
}
