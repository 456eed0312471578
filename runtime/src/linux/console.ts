// The receiving end of runc's --console-socket protocol: a unix socket the container init connects to and
// sends the pty master over with SCM_RIGHTS. `tsrun run` uses it for a terminal in the foreground (as runc does),
// and the shim will for its containers. Blocking calls run on koffi's worker threads so the event loop stays free.
import { errnoName, strerror } from './errno.js';
import { bind, errno, koffi } from './ffi.js';

/**
 * Declares the socket structs (tsrun_sockaddr_un, tsrun_iovec, tsrun_msghdr, tsrun_winsize) that this module's,
 * scm.ts's and the shim's koffi prototypes name; once, on the first binding that needs them, so that importing any
 * of these modules loads no koffi (create imports scm.ts and on Bun binds its libc calls without koffi).
 */
export const declareSocketTypes = bind((_lib, k) => {
  k.struct('tsrun_sockaddr_un', { sun_family: 'uint16_t', sun_path: k.array('char', 108) });
  k.struct('tsrun_iovec', { iov_base: 'void *', iov_len: 'size_t' });
  k.struct('tsrun_msghdr', {
    msg_name: 'void *',
    msg_namelen: 'uint32_t',
    msg_iov: 'void *',
    msg_iovlen: 'size_t',
    msg_control: 'void *',
    msg_controllen: 'size_t',
    msg_flags: 'int',
  });
  k.struct('tsrun_winsize', { ws_row: 'uint16_t', ws_col: 'uint16_t', ws_xpixel: 'uint16_t', ws_ypixel: 'uint16_t' });
  return true;
});

// bound at first use: only `tsrun run` and `exec` with a terminal need these
const c = bind((lib) => (declareSocketTypes(), {
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  bind: lib.func('int bind(int fd, const tsrun_sockaddr_un *addr, uint32_t len)'),
  listen: lib.func('int listen(int fd, int backlog)'),
  accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)'),
  recvmsg: lib.func('intptr_t recvmsg(int fd, tsrun_msghdr *msg, int flags)'),
  close: lib.func('int close(int fd)'),
  ioctlWinsize: lib.func('int ioctl(int fd, unsigned long req, tsrun_winsize *ws)'),
}));

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const TIOCSWINSZ = 0x5414;

function fail(call: string, what: string): never {
  const e = errno();
  throw new Error(`${call} ${what}: ${errnoName(e)} (${strerror(e)})`);
}

/** A listening console socket at path; accept() resolves to the pty master fd the container sends. */
export function listenConsole(path: string): { accept(): Promise<number>; close(): void } {
  const fd = c().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) fail('socket', 'AF_UNIX');
  const bytes = Buffer.from(path);
  if (bytes.length >= 108) throw new Error(`console socket path too long: ${path}`);
  const addr = { sun_family: AF_UNIX, sun_path: [...bytes, 0] };
  if ((c().bind(fd, addr, 2 + bytes.length + 1) as number) < 0) fail('bind', path);
  if ((c().listen(fd, 1) as number) < 0) fail('listen', path);
  return {
    accept: () =>
      new Promise<number>((resolve, reject) => {
        c().accept4.async(fd, null, null, SOCK_CLOEXEC, (err: unknown, conn: number) => {
          if (err) return reject(err);
          if (conn < 0) return reject(new Error(`accept ${path}: ${errnoName(errno())}`));
          receiveFd(conn).then(resolve, reject).finally(() => c().close(conn));
        });
      }),
    close: () => {
      c().close(fd);
    },
  };
}

/** Receives one fd sent with SCM_RIGHTS (the payload, "/dev/ptmx" from runc-compatible senders, is ignored). */
function receiveFd(conn: number): Promise<number> {
  const data = Buffer.alloc(4096);
  const control = Buffer.alloc(64);
  const iov = { iov_base: data, iov_len: data.length };
  const msg = { msg_name: null, msg_namelen: 0, msg_iov: koffi.as([iov], 'tsrun_iovec *'), msg_iovlen: 1, msg_control: control, msg_controllen: control.length, msg_flags: 0 };
  return new Promise((resolve, reject) => {
    c().recvmsg.async(conn, msg, 0, (err: unknown, n: number) => {
      if (err) return reject(err);
      if (n < 0) return reject(new Error(`recvmsg console socket: ${errnoName(errno())}`));
      // struct cmsghdr { size_t len; int level; int type; } followed by the fd
      const level = control.readInt32LE(8);
      const type = control.readInt32LE(12);
      if (level !== SOL_SOCKET || type !== SCM_RIGHTS) return reject(new Error('console socket: message carried no file descriptor'));
      resolve(control.readInt32LE(16));
    });
  });
}

export function setWinsize(fd: number, rows: number, cols: number): void {
  if ((c().ioctlWinsize(fd, TIOCSWINSZ, { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }) as number) < 0) fail('ioctl', 'TIOCSWINSZ');
}
