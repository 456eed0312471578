// The event journal: every event the shim publishes, one JSON line each, written and fsynced BEFORE anyone hears
// of it. Subscribe replays it (a supervisor that was down gets what it missed) and `tsrun-shim delete` reads the
// init's exit from it after the shim is gone. Only the next seq stays in memory; replays read the file.
import * as fs from 'node:fs';
import type { Event, TopicValue } from './api.js';
import { nowNs } from './reaper.js';

export type EventFields = Partial<Omit<Event, 'seq' | 'timestamp' | 'topic'>> & { topic: TopicValue };

const BIG = ['seq', 'timestamp', 'exitedAt'] as const;

export function readJournal(path: string): Event[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Event[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line torn by a crash mid-write: everything before it was fsynced
    }
    for (const k of BIG) raw[k] = BigInt((raw[k] as string | undefined) ?? 0);
    out.push(raw as unknown as Event);
  }
  return out;
}

export class Journal {
  private fd: number;
  private seq: bigint;
  private listeners = new Set<(e: Event) => void>();

  constructor(
    readonly path: string,
    private readonly base: { namespace: string; containerId: string },
  ) {
    const old = readJournal(path);
    this.seq = old.at(-1)?.seq ?? 0n;
    this.fd = fs.openSync(path, 'a', 0o600);
    // A line torn by a crash was never reported (record fsyncs before telling anyone): drop it, or the next
    // record would be glued to it.
    const size = fs.fstatSync(this.fd).size;
    if (size > 0) {
      const text = fs.readFileSync(path);
      if (text[size - 1] !== 0x0a) fs.ftruncateSync(this.fd, text.lastIndexOf(0x0a) + 1);
    }
  }

  record(f: EventFields): Event {
    const e: Event = { namespace: this.base.namespace, containerId: this.base.containerId, execId: '', pid: 0, exitStatus: 0, exitedAt: 0n, ...f, seq: ++this.seq, timestamp: nowNs() };
    fs.writeSync(this.fd, `${JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
    fs.fsyncSync(this.fd);
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Recorded events with seq > after, then live ones through `listener` until the returned function is called. */
  follow(after: bigint, listener: (e: Event) => void): () => void {
    for (const e of readJournal(this.path)) if (e.seq > after) listener(e);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
