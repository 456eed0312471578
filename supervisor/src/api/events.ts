// tsrund.v1.Events: a server stream of the caller's namespace's events until the client goes away.
import * as grpc from '@grpc/grpc-js';
import type { Exchange } from '../events/exchange.js';
import { DecodeError } from './proto.js';
import { namespaceOf, toStatus, type Req } from './handlers.js';

export function eventsApi(exchange: Exchange): grpc.UntypedServiceImplementation {
  const Subscribe: grpc.handleServerStreamingCall<Req, object> = (call) => {
    let ns: string;
    try {
      if (call.request instanceof DecodeError) throw call.request;
      ns = namespaceOf(call);
    } catch (err) {
      // grpc-js ends the call with the status an 'error' event carries
      call.emit('error', Object.assign(new Error(), toStatus(err)));
      return;
    }
    const topics = (call.request.topics ?? []) as string[];
    const stop = exchange.subscribe(ns, topics, (ev) => call.write(ev), Number(call.request.afterSeq ?? 0));
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
    call.on('finish', stop);
    // headers go out at once: a client that waits for them knows it will see every event published from now on
    call.sendMetadata(new grpc.Metadata());
  };
  return { Subscribe };
}
