// Framing on the socket between tsrun and the native stage. A message is a netstring whose payload is a
// sequence of netstrings (its words): `<len>:<payload>,` with <len> in decimal bytes. The same framing is used
// in both directions; the message sequence is drawn at the top of runtime/native/tsrun-init.c.

export function encodeWords(words: readonly string[]): Buffer {
  let payload = '';
  for (const w of words) payload += `${Buffer.byteLength(w)}:${w},`;
  return Buffer.from(`${Buffer.byteLength(payload)}:${payload},`);
}

/** Splits one netstring off the front of buf; returns undefined when buf does not yet hold a whole one. */
function takeNetstring(buf: Buffer, from: number): { body: Buffer; next: number } | undefined {
  const colon = buf.indexOf(0x3a, from);
  if (colon < 0) {
    if (buf.length - from > 10) throw new Error('malformed netstring: length too long');
    return undefined;
  }
  const lenText = buf.toString('latin1', from, colon);
  if (!/^\d+$/.test(lenText)) throw new Error(`malformed netstring length ${JSON.stringify(lenText)}`);
  const len = Number(lenText);
  const end = colon + 1 + len;
  if (buf.length < end + 1) return undefined;
  if (buf[end] !== 0x2c) throw new Error('malformed netstring: missing trailing comma');
  return { body: buf.subarray(colon + 1, end), next: end + 1 };
}

export function decodeWords(payload: Buffer): string[] {
  const words: string[] = [];
  let at = 0;
  while (at < payload.length) {
    const ns = takeNetstring(payload, at);
    if (!ns) throw new Error('malformed message: truncated word');
    words.push(ns.body.toString('utf8'));
    at = ns.next;
  }
  return words;
}

/** Incremental decoder for a byte stream carrying messages. */
export class MessageReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[][] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[][] = [];
    for (;;) {
      const ns = takeNetstring(this.buf, 0);
      if (!ns) break;
      out.push(decodeWords(ns.body));
      this.buf = this.buf.subarray(ns.next);
    }
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}
