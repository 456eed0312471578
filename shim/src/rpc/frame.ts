// The shim's wire framing (proto/README.md): a 10-byte header (length BE32, stream BE32, type, flags) and a
// protobuf payload of at most 4 MiB. Shared by the server and the client.
export const HEADER = 10;
export const MAX_PAYLOAD = 4 << 20;

export const FrameType = { Request: 1, Response: 2, Data: 3 } as const;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  stream: number;
  type: FrameTypeValue;
  payload: Uint8Array;
}

export class FrameError extends Error {}

export function encodeFrame(stream: number, type: FrameTypeValue, payload: Uint8Array): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new FrameError(`frame payload of ${payload.length} bytes is over the ${MAX_PAYLOAD}-byte limit`);
  const b = Buffer.allocUnsafe(HEADER + payload.length);
  b.writeUInt32BE(payload.length, 0);
  b.writeUInt32BE(stream >>> 0, 4);
  b[8] = type;
  b[9] = 0;
  b.set(payload, HEADER);
  return b;
}

/** Splits a byte stream into frames; throws FrameError on a frame that cannot be valid (then the connection is done). */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= HEADER) {
      const len = this.buf.readUInt32BE(0);
      const type = this.buf[8] as number;
      if (len > MAX_PAYLOAD) throw new FrameError(`frame of ${len} bytes is over the ${MAX_PAYLOAD}-byte limit`);
      if (type < FrameType.Request || type > FrameType.Data) throw new FrameError(`unknown frame type ${type}`);
      if (this.buf[9] !== 0) throw new FrameError(`frame flags ${this.buf[9]} are reserved (0)`);
      if (this.buf.length < HEADER + len) break;
      out.push({ stream: this.buf.readUInt32BE(4), type: type as FrameTypeValue, payload: this.buf.subarray(HEADER, HEADER + len) });
      this.buf = this.buf.subarray(HEADER + len);
    }
    return out;
  }
}
