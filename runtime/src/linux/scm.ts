// File descriptors over unix sockets (SCM_RIGHTS), synchronously: the native stage's sync socket, which may carry a
// seccomp listener fd, and the seccomp agent's socket (linux.seccomp.listenerPath), which gets it with the state.
import { declareSocketTypes } from './console.js';
import { bind, errno, koffi } from './ffi.js';
import { SyscallError } from './libc.js';

// bound at first use: every create imports this module, and only a seccomp listener needs it
const c = bind((lib) => (declareSocketTypes(), {
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  connect: lib.func('int connect(int fd, const tsrun_sockaddr_un *addr, uint32_t len)'),
  recvmsg: lib.func('intptr_t recvmsg(int fd, tsrun_msghdr *msg, int flags)'),
  sendmsg: lib.func('intptr_t sendmsg(int fd, const tsrun_msghdr *msg, int flags)'),
  close: lib.func('int close(int fd)'),
}));

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
const EINTR = 4;
/** struct cmsghdr { size_t len; int level; int type; } then the data, each header 8-byte aligned. */
const CMSG_HDR = 16;
const align = (n: number): number => (n + 7) & ~7;

function msghdr(data: Buffer, control: Buffer | null) {
  declareSocketTypes();
  return {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: koffi.as([{ iov_base: data, iov_len: data.length }], 'tsrun_iovec *'),
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control?.length ?? 0,
    msg_flags: 0,
  };
}

/** Reads what is there (blocking for at least a byte) and the fds that came with it, close-on-exec. */
export function recvWithFds(fd: number, into: Buffer): { n: number; fds: number[] } {
  const control = Buffer.alloc(256);
  const msg = msghdr(into, control);
  let n: number;
  while ((n = Number(c().recvmsg(fd, msg, MSG_CMSG_CLOEXEC))) < 0) {
    const e = errno();
    if (e !== EINTR) throw new SyscallError('recvmsg', e, 'native stage socket');
  }
  const fds: number[] = [];
  // the control buffer starts zeroed: the first header with a length of 0 ends what the kernel wrote
  for (let at = 0; at + CMSG_HDR <= control.length; ) {
    const clen = Number(control.readBigUInt64LE(at));
    if (clen < CMSG_HDR || at + clen > control.length) break;
    if (control.readInt32LE(at + 8) === SOL_SOCKET && control.readInt32LE(at + 12) === SCM_RIGHTS) {
      for (let o = at + CMSG_HDR; o + 4 <= at + clen; o += 4) fds.push(control.readInt32LE(o));
    }
    at += align(clen);
  }
  return { n, fds };
}

/**
 * Connects to a unix stream socket, sends payload with fd attached in one sendmsg, and closes the connection: one
 * message per connection, as config-linux.md asks of the seccomp agent's socket. Errors name the socket's path.
 */
export function sendFdTo(path: string, payload: Buffer, fd: number): void {
  const bytes = Buffer.from(path);
  if (bytes.length >= 108) throw new SyscallError('connect', 36 /* ENAMETOOLONG */, path);
  const sock = c().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number;
  if (sock < 0) throw new SyscallError('socket', errno(), 'AF_UNIX');
  try {
    let rc: number;
    while ((rc = c().connect(sock, { sun_family: AF_UNIX, sun_path: [...bytes, 0] }, 2 + bytes.length + 1) as number) < 0 && errno() === EINTR);
    if (rc < 0) throw new SyscallError('connect', errno(), path);
    const control = Buffer.alloc(align(CMSG_HDR + 4));
    control.writeBigUInt64LE(BigInt(CMSG_HDR + 4), 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(fd, 16);
    // the fds go with the first sendmsg only; the rest, if the socket takes the payload in parts, without
    for (let off = 0, first = true; off < payload.length; first = false) {
      const part = payload.subarray(off);
      let n: number;
      while ((n = Number(c().sendmsg(sock, msghdr(part, first ? control : null), MSG_NOSIGNAL))) < 0 && errno() === EINTR);
      if (n < 0) throw new SyscallError('sendmsg', errno(), path);
      off += n;
    }
  } finally {
    c().close(sock);
  }
}

export function closeFd(fd: number): void {
  c().close(fd);
}
