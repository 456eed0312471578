// The stdio's raw libc calls through koffi (Node), from the runtime's one koffi loader; the runtime's console
// module declares the socket structs (tsrun_msghdr, tsrun_iovec) used here.
import { declareSocketTypes } from '../../../runtime/src/linux/console.js';
import { errno, koffi, libcLib as lib } from '../../../runtime/src/linux/ffi.js';
import type { RawIo } from './raw.js';

export function rawIo(): RawIo {
  declareSocketTypes();
  const pipe2 = lib.func('int pipe2(_Out_ int *fds, int flags)');
  const fcntl = lib.func('int fcntl(int fd, int cmd, int arg)');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const bind = lib.func('int bind(int fd, const void *addr, uint32_t len)');
  const listen = lib.func('int listen(int fd, int backlog)');
  const accept4 = lib.func('int accept4(int fd, void *addr, void *len, int flags)');
  const recvmsg = lib.func('intptr_t recvmsg(int fd, tsrun_msghdr *msg, int flags)');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, void *arg)');
  const read = lib.func('int read(int fd, void *buf, size_t len)');
  return {
    pipe2: (flags) => {
      const fds = [-1, -1];
      const rc = pipe2(fds, flags) as number;
      return [rc, fds[0] ?? -1, fds[1] ?? -1];
    },
    fcntl: (fd, cmd, arg) => fcntl(fd, cmd, arg) as number,
    socket: (domain, type, protocol) => socket(domain, type, protocol) as number,
    bind: (fd, addr) => bind(fd, addr, addr.length) as number,
    listen: (fd, backlog) => listen(fd, backlog) as number,
    accept4: (fd, flags) => accept4(fd, null, null, flags) as number,
    recvmsg: (fd, data, control, flags) => {
      const iov = { iov_base: data, iov_len: data.length };
      const msg = { msg_name: null, msg_namelen: 0, msg_iov: koffi.as([iov], 'tsrun_iovec *'), msg_iovlen: 1, msg_control: control, msg_controllen: control.length, msg_flags: 0 };
      return Number(recvmsg(fd, msg, flags));
    },
    ioctl: (fd, request, arg) => ioctl(fd, request, arg) as number,
    read: (fd, buf, len) => read(fd, buf, len) as number,
    errno,
  };
}
