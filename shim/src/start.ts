// `tsrun-shim start`: starts the shim (`tsrun-shim serve`, same engine and script) in a session of its own with
// its stdio on <state-dir>/shim.log, and returns once the shim says on fd 3 that its socket is served:
//
//   start                                   serve (setsid)
//   mkdir state dir; spawn ---------------> subreaper, journal, listen on shim.sock (0600),
//                                           write <bundle>/shim.pid and shim.address
//                 <------------- fd 3 ----- "ok <socket path>\n", close
//   print the address, exit 0               ... serves until Shutdown
//
// EOF on fd 3 without "ok" means the shim failed: its last log line is the error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ShimOptions, files } from './options.js';
import { loadStartDaemon } from './spawn.js';

/**
 * How to run this program again: the compiled Bun program (scripts/bundle-bun.js), whose embedded files live under
 * /$bunfs, by its tsrun-shim name next to it (the name picks the program); else the engine on the script.
 */
function self(): [string, ...string[]] {
  const script = process.argv[1] as string;
  if (script.startsWith('/$bunfs/')) return [path.join(path.dirname(process.execPath), 'tsrun-shim')];
  return [process.execPath, ...process.execArgv, script];
}

export async function startShim(o: ShimOptions, rawArgs: string[]): Promise<string> {
  if (!fs.statSync(o.bundle, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--bundle ${o.bundle}: no such directory`);
  if (!fs.statSync(o.runtime, { throwIfNoEntry: false })?.isFile()) throw new Error(`--runtime ${o.runtime}: no such file`);
  const fresh = !fs.existsSync(o.stateDir);
  fs.mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const f = files(o);
  const logFd = fs.openSync(f.log, 'a', 0o600);
  const [file, ...args] = self();
  let said: string;
  let exited: string | undefined;
  try {
    ({ said, exited } = await (await loadStartDaemon())(file, [...args, 'serve', ...rawArgs], logFd));
  } finally {
    fs.closeSync(logFd);
  }
  const outcome = exited ? `the shim exited (${exited}) before serving` : '';
  const m = /^ok (.+)\n/.exec(said);
  if (m) return m[1] as string;
  const last = fs.readFileSync(f.log, 'utf8').trim().split('\n').at(-1) ?? '';
  // A shim that did not start leaves nothing behind but what was there before.
  for (const file of [f.socket, f.address, f.pid]) fs.rmSync(file, { force: true });
  if (fresh) fs.rmSync(o.stateDir, { recursive: true, force: true });
  throw new Error(`${last.replace(/^\S+ /, '') || outcome || 'the shim did not start'} (log: ${fresh ? 'removed' : f.log})`);
}
