// The seccomp agent hand-off (config-linux.md "The Container Process State"): when a filter with SCMP_ACT_NOTIFY
// is loaded, the native stage passes the listener fd to tsrun, which connects to linux.seccomp.listenerPath and
// sends the container process state as JSON with the fd (SCM_RIGHTS) in one message, then closes the connection
// and its copy of the fd. The container's processes keep no copy.
import { OCI_VERSION } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import { sendFdTo } from '../linux/scm.js';
import type { LinuxSeccomp } from './types.js';

/** The `state` member: the container's state as `tsrun state` would print it at that moment. */
export interface ListenerState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface ContainerProcessState {
  ociVersion: string;
  fds: string[];
  /** The process whose filter this is (the init for create, the new process for exec). */
  pid: number;
  metadata?: string;
  state: ListenerState;
}

export function processState(seccomp: LinuxSeccomp, pid: number, state: ListenerState): ContainerProcessState {
  return {
    ociVersion: OCI_VERSION,
    fds: ['seccompFd'],
    pid,
    ...(seccomp.listenerMetadata ? { metadata: seccomp.listenerMetadata } : {}),
    state,
  };
}

/** Sends the state and the listener fd to the agent; the caller closes its fd afterwards. */
export function sendToListener(seccomp: LinuxSeccomp | undefined, fd: number, pid: number, state: ListenerState): void {
  // the compiler refuses SCMP_ACT_NOTIFY without listenerPath, so this is a plan that did not come from the config
  if (!seccomp?.listenerPath) throw new TsrunError('create_failed', 'linux.seccomp.listenerPath: a seccomp listener fd came without a listener to pass it to');
  const body = Buffer.from(JSON.stringify(processState(seccomp, pid, state)));
  try {
    sendFdTo(seccomp.listenerPath, body, fd);
  } catch (e) {
    throw new TsrunError('create_failed', `linux.seccomp.listenerPath: ${(e as Error).message}`, { cause: e });
  }
}
