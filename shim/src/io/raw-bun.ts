// The stdio's raw libc calls through bun:ffi (Bun). Its types are Bun's, not in this project's @types: the few
// used here are declared below. recvmsg's struct msghdr and iovec are laid out by hand (x86_64/aarch64 LP64).
import type { RawIo } from './raw.js';

type Fn = (...args: unknown[]) => unknown;
interface BunFfi {
  dlopen(lib: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, Fn> };
  ptr(view: ArrayBufferView): number;
  read: { i32(ptr: unknown, offset: number): number };
}

export async function rawIo(): Promise<RawIo> {
  const specifier = 'bun:ffi';
  const ffi = (await import(specifier)) as BunFfi;
  const { symbols: s } = ffi.dlopen('libc.so.6', {
    pipe2: { args: ['ptr', 'i32'], returns: 'i32' },
    fcntl: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
    socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
    bind: { args: ['i32', 'ptr', 'u32'], returns: 'i32' },
    listen: { args: ['i32', 'i32'], returns: 'i32' },
    accept4: { args: ['i32', 'ptr', 'ptr', 'i32'], returns: 'i32' },
    recvmsg: { args: ['i32', 'ptr', 'i32'], returns: 'i64' },
    ioctl: { args: ['i32', 'u64', 'ptr'], returns: 'i32' },
    __errno_location: { args: [], returns: 'ptr' },
  });
  const call = (name: string, ...args: unknown[]) => Number((s[name] as Fn)(...args));
  const fds = new Int32Array(2);
  return {
    pipe2: (flags) => {
      const rc = call('pipe2', fds, flags);
      return [rc, fds[0] ?? -1, fds[1] ?? -1];
    },
    fcntl: (fd, cmd, arg) => call('fcntl', fd, cmd, arg),
    socket: (domain, type, protocol) => call('socket', domain, type, protocol),
    bind: (fd, addr) => call('bind', fd, addr, addr.length),
    listen: (fd, backlog) => call('listen', fd, backlog),
    accept4: (fd, flags) => call('accept4', fd, null, null, flags),
    recvmsg: (fd, data, control, flags) => {
      const iov = Buffer.alloc(16);
      iov.writeBigUInt64LE(BigInt(ffi.ptr(data)), 0);
      iov.writeBigUInt64LE(BigInt(data.length), 8);
      const msg = Buffer.alloc(56);
      msg.writeBigUInt64LE(BigInt(ffi.ptr(iov)), 16);
      msg.writeBigUInt64LE(1n, 24);
      msg.writeBigUInt64LE(BigInt(ffi.ptr(control)), 32);
      msg.writeBigUInt64LE(BigInt(control.length), 40);
      return call('recvmsg', fd, msg, flags);
    },
    ioctl: (fd, request, arg) => call('ioctl', fd, request, arg),
    errno: () => ffi.read.i32(s.__errno_location?.(), 0),
  };
}
