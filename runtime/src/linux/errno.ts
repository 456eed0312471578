// errno numbers to names and messages (x86_64 Linux), without loading FFI: the native stage reports numbers.
import { lazyBuiltin } from '../lazy-builtin.js';

const os = lazyBuiltin<typeof import('node:os')>('node:os');
let names: Map<number, string> | undefined;

const messages: Record<string, string> = {
  EPERM: 'operation not permitted', ENOENT: 'no such file or directory', ESRCH: 'no such process',
  EINTR: 'interrupted system call', EIO: 'input/output error', ENXIO: 'no such device or address',
  E2BIG: 'argument list too long', ENOEXEC: 'exec format error', EBADF: 'bad file descriptor',
  ECHILD: 'no child processes', EAGAIN: 'resource temporarily unavailable', ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied', EFAULT: 'bad address', EBUSY: 'device or resource busy', EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link', ENODEV: 'no such device', ENOTDIR: 'not a directory',
  EISDIR: 'is a directory', EINVAL: 'invalid argument', ENFILE: 'too many open files in system',
  EMFILE: 'too many open files', ENOTTY: 'inappropriate ioctl for device', ENOSPC: 'no space left on device',
  EROFS: 'read-only file system', EPIPE: 'broken pipe', ERANGE: 'numerical result out of range',
  ENAMETOOLONG: 'file name too long', ENOSYS: 'function not implemented', ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links', ETIMEDOUT: 'connection timed out', ECONNREFUSED: 'connection refused',
  EOVERFLOW: 'value too large for defined data type', ENOTSUP: 'operation not supported',
  EOPNOTSUPP: 'operation not supported', EPROTO: 'protocol error', ENOTCONN: 'transport endpoint is not connected',
  ENOTSOCK: 'socket operation on non-socket', EADDRINUSE: 'address already in use',
};

export function errnoName(errno: number): string {
  if (!names) {
    names = new Map();
    for (const [name, num] of Object.entries(os().constants.errno)) if (!names.has(num)) names.set(num, name);
  }
  return names.get(errno) ?? `errno ${errno}`;
}

export function strerror(errno: number): string {
  return messages[errnoName(errno)] ?? `error ${errno}`;
}
