// The event bus: tsrund's own container events and the task events its shims report go out to every subscriber
// of the same namespace, stamped with a seq and the time the event happened. Publishing is synchronous, so events
// reach subscribers in the order they were published.
//
// The seq starts at the daemon's start time in microseconds and grows by one per event, so it keeps growing across
// restarts. The last BACKLOG events are kept: a subscriber that gives after_seq first gets the kept events after it
// (this is how an engine sees what tsrund published while it was reconnecting, e.g. exits found at restart).

export interface EventInput {
  namespace: string;
  topic: string;
  containerId: string;
  execId?: string;
  pid?: number;
  exitStatus?: number;
  exitedAt?: number;
  /** Unix time in nanoseconds; now when absent. */
  timestamp?: number;
}

export interface Envelope {
  seq: number;
  timestamp: number;
  namespace: string;
  topic: string;
  containerId: string;
  execId: string;
  pid: number;
  exitStatus: number;
  exitedAt: number;
}

export const TOPICS = [
  '/containers/create',
  '/containers/update',
  '/containers/delete',
  '/tasks/create',
  '/tasks/start',
  '/tasks/exit',
  '/tasks/oom',
  '/tasks/paused',
  '/tasks/resumed',
  '/tasks/exec-added',
  '/tasks/exec-started',
  '/tasks/delete',
] as const;

type Listener = (ev: Envelope) => void;

export const nowNs = (): number => Date.now() * 1e6;

/** A topic filter matches its exact topic, or every topic under it when it ends with '/'. */
export function topicMatches(filters: readonly string[], topic: string): boolean {
  if (filters.length === 0) return true;
  return filters.some((f) => (f.endsWith('/') ? topic.startsWith(f) : topic === f));
}

export const BACKLOG = 10_000;

export class Exchange {
  private seq = Date.now() * 1000;
  private kept: Envelope[] = [];
  private listeners = new Set<{ ns: string; topics: readonly string[]; fn: Listener }>();

  publish(input: EventInput): Envelope {
    const ev: Envelope = {
      seq: ++this.seq,
      timestamp: input.timestamp || nowNs(),
      namespace: input.namespace,
      topic: input.topic,
      containerId: input.containerId,
      execId: input.execId ?? '',
      pid: input.pid ?? 0,
      exitStatus: input.exitStatus ?? 0,
      exitedAt: input.exitedAt ?? 0,
    };
    this.kept.push(ev);
    if (this.kept.length > BACKLOG * 1.5) this.kept.splice(0, this.kept.length - BACKLOG);
    for (const l of this.listeners) {
      if (l.ns === ev.namespace && topicMatches(l.topics, ev.topic)) l.fn(ev);
    }
    return ev;
  }

  /** Live events from now on; with afterSeq > 0, first the kept events after it. */
  subscribe(ns: string, topics: readonly string[], fn: Listener, afterSeq = 0): () => void {
    const entry = { ns, topics, fn };
    if (afterSeq > 0) {
      for (const ev of this.kept) {
        if (ev.seq > afterSeq && ev.namespace === ns && topicMatches(topics, ev.topic)) fn(ev);
      }
    }
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
