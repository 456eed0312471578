// The raw libc calls of the shim's stdio that Node's fs lacks: pipe2, fcntl, the console socket (socket, bind,
// listen, accept4, recvmsg with SCM_RIGHTS) and ioctl on the pty master. As in ../sys.ts, Bun binds them through
// bun:ffi (far less memory per shim than koffi) and Node through koffi from the runtime's one loader; each backend
// only binds; everything else is here, shared.
import { errnoName, strerror } from '../../../runtime/src/linux/errno.js';

export interface RawIo {
  /** pipe2(fds, flags): [return value, read end, write end]. */
  pipe2(flags: number): [number, number, number];
  fcntl(fd: number, cmd: number, arg: number): number;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, sockaddr: Buffer): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, flags: number): number;
  /** recvmsg with one iovec (data) and a control buffer: bytes received or -1. */
  recvmsg(fd: number, data: Buffer, control: Buffer, flags: number): number;
  ioctl(fd: number, request: number, arg: Buffer): number;
  errno(): number;
}

export class IoError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    target: string,
  ) {
    super(`${syscall} ${target}: ${errnoName(errno)} (${strerror(errno)})`);
  }
}

export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
const O_ASYNC = 0o20000;
const F_GETFL = 3;
const F_SETFL = 4;
const F_SETOWN = 8;

let loaded: RawIo | undefined;

export async function loadRawIo(): Promise<RawIo> {
  loaded ??= process.versions.bun ? await (await import('./raw-bun.js')).rawIo() : (await import('./raw-koffi.js')).rawIo();
  return loaded;
}

export function check(raw: RawIo, rc: number, syscall: string, target: string): number {
  if (rc < 0) throw new IoError(syscall, raw.errno(), target);
  return rc;
}

/** A pipe whose two ends are close-on-exec (a spawned child gets its end by dup2, which clears the flag). */
export function pipe(raw: RawIo, what: string): [number, number] {
  const [rc, r, w] = raw.pipe2(O_CLOEXEC);
  check(raw, rc, 'pipe2', what);
  return [r, w];
}

/** Non-blocking, and the kernel sends this process SIGIO when fd becomes readable or writable (see poller.ts). */
export function signalDriven(raw: RawIo, fd: number, what: string): void {
  check(raw, raw.fcntl(fd, F_SETOWN, process.pid), 'fcntl F_SETOWN', what);
  const flags = check(raw, raw.fcntl(fd, F_GETFL, 0), 'fcntl F_GETFL', what);
  check(raw, raw.fcntl(fd, F_SETFL, flags | O_NONBLOCK | O_ASYNC), 'fcntl F_SETFL', what);
}
