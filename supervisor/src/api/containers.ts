// tsrund.v1.Containers over the ContainerService.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ContainerService } from '../services/containers.js';
import type { ContainerRecord } from '../store/containers.js';
import { unary, type Req } from './handlers.js';

function toProto(c: ContainerRecord): object {
  return {
    id: c.id,
    labels: c.labels,
    spec: c.spec,
    rootfs: c.rootfs,
    runtime: c.runtime,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

function input(c: Req) {
  return {
    id: String(c.id ?? ''),
    labels: (c.labels ?? {}) as Record<string, string>,
    spec: String(c.spec ?? ''),
    rootfs: {
      path: String(c.rootfs?.path ?? ''),
      mounts: ((c.rootfs?.mounts ?? []) as Req[]).map((m) => ({ type: String(m.type), source: String(m.source), options: (m.options ?? []) as string[] })),
    },
    runtime: { runtime: String(c.runtime?.runtime ?? ''), runtimeRoot: String(c.runtime?.runtimeRoot ?? '') },
  };
}

export function containersApi(svc: ContainerService): UntypedServiceImplementation {
  return {
    Create: unary(async (req, ns) => ({ container: toProto(await svc.create(ns, input(req.container ?? {}))) })),
    Get: unary((req, ns) => ({ container: toProto(svc.get(ns, req.id)) })),
    List: unary((req, ns) => ({ containers: svc.list(ns, req.filters).map(toProto) })),
    Update: unary(async (req, ns) => ({ container: toProto(await svc.update(ns, input(req.container ?? {}), req.updateMask)) })),
    Delete: unary(async (req, ns) => {
      await svc.delete(ns, req.id);
      return {};
    }),
  };
}
