// The console socket of a terminal process (runc's --console-socket protocol):
//
//   shim                                   runtime (tsrun create / exec --detach)
//   listen on <state dir>/tsrun-console-*/sock
//   spawn runtime --console-socket=<path>  ->  connect; sendmsg("/dev/ptmx"-ish name, SCM_RIGHTS [pty master])
//                                          <-  exits
//   take(): accept, recvmsg -> master fd
//
// The runtime sends the master before it exits, so once it has exited the connection and the fd are already queued
// on the socket: take() accepts and receives without waiting (non-blocking), and an empty socket is a clear error
// (a runtime that was asked for a terminal but did not send one), never a hang.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeQuietly } from './poller.js';
import { IoError, type RawIo, check } from './raw.js';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const EAGAIN = 11;
const TIOCSWINSZ = 0x5414;
const TCGETS = 0x5401;
/** struct termios: 4 flag words, c_line, then c_cc[] where VEOF is index 4. */
const VEOF_OFFSET = 17 + 4;
const SUN_PATH_MAX = 107;

export class ConsoleSocket {
  private fd: number;

  private constructor(
    private readonly raw: RawIo,
    private readonly dir: string,
    readonly path: string,
  ) {
    this.fd = check(raw, raw.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket', 'AF_UNIX console socket');
    const name = Buffer.from(path);
    const addr = Buffer.alloc(2 + name.length + 1);
    addr.writeUInt16LE(AF_UNIX, 0);
    name.copy(addr, 2);
    try {
      check(raw, raw.bind(this.fd, addr), 'bind', path);
      check(raw, raw.listen(this.fd, 1), 'listen', path);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** A listening socket in a new private directory under dir (the shim's state dir, which `tsrun-shim delete`
   * removes whatever happens), or under the temp dir when that path would not fit in sun_path. */
  static open(raw: RawIo, dir: string): ConsoleSocket {
    const base = dir.length <= SUN_PATH_MAX - 30 ? dir : tempDir();
    const own = fs.mkdtempSync(path.join(base, 'tsrun-console-'));
    try {
      return new ConsoleSocket(raw, own, path.join(own, 'sock'));
    } catch (e) {
      fs.rmSync(own, { recursive: true, force: true });
      throw e;
    }
  }

  /** The pty master the runtime sent (close-on-exec). */
  take(): number {
    const conn = this.raw.accept4(this.fd, SOCK_CLOEXEC);
    if (conn < 0) {
      const e = this.raw.errno();
      if (e === EAGAIN) throw new Error(`console socket ${this.path}: the runtime sent no terminal (does the process have "terminal": true?)`);
      throw new IoError('accept4', e, this.path);
    }
    try {
      const data = Buffer.alloc(4096);
      const control = Buffer.alloc(64);
      const n = this.raw.recvmsg(conn, data, control, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
      if (n < 0) throw new IoError('recvmsg', this.raw.errno(), this.path);
      // struct cmsghdr { size_t len; int level; int type; } then the fd
      if (control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) {
        throw new Error(`console socket ${this.path}: the runtime's message carried no file descriptor`);
      }
      return control.readInt32LE(16);
    } finally {
      closeQuietly(conn);
    }
  }

  close(): void {
    closeQuietly(this.fd);
    this.fd = -1;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function setWinsize(raw: RawIo, master: number, width: number, height: number): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(height, 0);
  ws.writeUInt16LE(width, 2);
  check(raw, raw.ioctl(master, TIOCSWINSZ, ws), 'ioctl TIOCSWINSZ', `pty master ${master}`);
}

/** The terminal's end-of-file character now (^D unless the process changed it). */
export function eofChar(raw: RawIo, master: number): number {
  const termios = Buffer.alloc(64);
  if (raw.ioctl(master, TCGETS, termios) < 0) return 4;
  return termios[VEOF_OFFSET] ?? 4;
}

/** os.tmpdir() if it fits in sun_path, else /tmp. node:os is loaded only here: on Bun, loading it costs every shim
 * ~0.08 MB for its whole life, and a state dir too long for a socket path is rare. */
function tempDir(): string {
  const tmp = process.getBuiltinModule('node:os').tmpdir();
  return tmp.length <= SUN_PATH_MAX - 30 ? tmp : '/tmp';
}
