// One live task: its durable record and its shim. The shim's event stream is pumped into the exchange; the seq of
// each event handled is written to the record, so that after a tsrund restart Subscribe(after_seq) replays exactly
// the events tsrund missed (at least once: a crash between publishing and recording replays that one event).
//
//   tsrund                      shim
//     | -- Subscribe(lastSeq) --> |
//     | <-- Event seq n ---------- |   publish to subscribers, then record lastSeq = n (and the exit, if any)
//     | <-- ... ------------------ |
//     | <-- end of stream -------- |   shim shut down (task deleted) or gone
import type { Exchange } from '../events/exchange.js';
import { saveTask, type TaskRecord } from '../store/tasks.js';
import type { ShimApi, ShimEvent } from './shim-api.js';

export class Task {
  /** Resolves when the shim's event stream has ended. */
  private pumped: Promise<void> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private sawDelete = false;
  /** Set once drained: the record is about to be removed and must not be written again. */
  private finished = false;

  constructor(
    readonly rec: TaskRecord,
    readonly shim: ShimApi,
    private readonly exchange: Exchange,
  ) {}

  get key(): string {
    return `${this.rec.namespace}/${this.rec.id}`;
  }

  /** Starts forwarding the shim's events recorded after the last one handled. */
  pump(): void {
    const stream = this.shim.subscribe(this.rec.lastSeq);
    this.pumped = (async () => {
      try {
        for await (const ev of stream) this.handle(ev);
      } catch {
        // the shim went away: the stream simply ends; what it had recorded is replayed on the next subscribe
      }
    })();
  }

  private handle(ev: ShimEvent): void {
    if (ev.seq <= this.rec.lastSeq) return;
    if (ev.topic === '/tasks/exit' && ev.execId === '') this.rec.exit = { status: ev.exitStatus, exitedAt: ev.exitedAt };
    if (ev.topic === '/tasks/delete' && ev.execId === '') this.sawDelete = true;
    this.exchange.publish({
      namespace: this.rec.namespace,
      topic: ev.topic,
      containerId: this.rec.id,
      execId: ev.execId,
      pid: ev.pid,
      exitStatus: ev.exitStatus,
      exitedAt: ev.exitedAt,
      timestamp: ev.timestamp,
    });
    this.rec.lastSeq = ev.seq;
    // a failed write is retried with the next event; at worst the event is replayed once more after a restart
    this.save().catch(() => undefined);
  }

  /** Writes the record; writes requested while one is under way collapse into one more. */
  save(): Promise<void> {
    if (this.finished) return Promise.resolve();
    if (this.dirty) return this.saving;
    this.dirty = true;
    this.saving = this.saving.catch(() => undefined).then(async () => {
      this.dirty = false;
      await saveTask(this.rec);
    });
    return this.saving;
  }

  /** Stops listening to the shim (tsrund is stopping; the shim goes on) once pending writes are done. */
  async detach(): Promise<void> {
    this.shim.close();
    await this.pumped;
    await this.saving.catch(() => undefined);
  }

  /** Waits for the event stream to end (after the shim shut down), at most ms; then stops listening. Returns
   * whether the shim reported the task's deletion. */
  async drain(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.pumped, new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    this.shim.close();
    await this.pumped;
    this.finished = true;
    await this.saving.catch(() => undefined);
    return this.sawDelete;
  }
}
