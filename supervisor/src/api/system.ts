// tsrund.v1.Version and tsrund.v1.Namespaces.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ContainerStore } from '../store/containers.js';
import { unary } from './handlers.js';

export const VERSION = '0.1.0';

export function versionApi(info: { shim: string; runtime: string }): UntypedServiceImplementation {
  return { Version: unary(() => ({ version: VERSION, shim: info.shim, runtime: info.runtime })) };
}

export function namespacesApi(store: ContainerStore): UntypedServiceImplementation {
  return { List: unary(() => ({ namespaces: store.namespaces() })) };
}
