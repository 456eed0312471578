// A 64-bit integer for protobufjs, over BigInt. protobufjs takes "any compatible Long" (util.Long: low and high
// 32-bit halves, fromBits, fromValue, toNumber, toString); long.js, its default, also compiles a WebAssembly module at
// load for a fast multiply and divide that protobufjs never calls. In the shim, one process per container, that
// module cost ~0.3 MB of memory and ~0.7 ms of start-up each. scripts/bundle-shim.js puts this class in its place in
// the shim's Bun bundle. The shim's messages travel with their uint64 fields as bigint (rpc/proto.ts), which
// toBigInt gives back exactly.

const U32 = 0xffffffffn;

export default class Long {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;

  constructor(low: number, high: number, unsigned = false) {
    this.low = low | 0;
    this.high = high | 0;
    this.unsigned = Boolean(unsigned);
  }

  static isLong(value: unknown): value is Long {
    return value instanceof Long;
  }

  static fromBits(low: number, high: number, unsigned?: boolean): Long {
    return new Long(low, high, unsigned);
  }

  static fromBigInt(value: bigint, unsigned?: boolean): Long {
    const bits = BigInt.asUintN(64, value);
    return new Long(Number(bits & U32), Number(bits >> 32n), unsigned);
  }

  static fromNumber(value: number, unsigned?: boolean): Long {
    return Number.isFinite(value) ? Long.fromBigInt(BigInt(Math.trunc(value)), unsigned) : new Long(0, 0, unsigned);
  }

  /** Decimal only: the radix is there for long.js's signature; protobufjs passes none. */
  static fromString(value: string, unsigned?: boolean, radix = 10): Long {
    if (radix !== 10) throw new RangeError(`Long.fromString: radix ${radix} is not supported`);
    return Long.fromBigInt(BigInt(value), unsigned);
  }

  static fromValue(value: Long | bigint | number | string | { low: number; high: number; unsigned?: boolean }, unsigned?: boolean): Long {
    if (typeof value === 'bigint') return Long.fromBigInt(value, unsigned);
    if (typeof value === 'number') return Long.fromNumber(value, unsigned);
    if (typeof value === 'string') return Long.fromString(value, unsigned);
    return new Long(value.low, value.high, unsigned ?? value.unsigned);
  }

  toBigInt(): bigint {
    const bits = (BigInt(this.high >>> 0) << 32n) | BigInt(this.low >>> 0);
    return this.unsigned ? bits : BigInt.asIntN(64, bits);
  }

  toNumber(): number {
    return Number(this.toBigInt());
  }

  toString(radix = 10): string {
    return this.toBigInt().toString(radix);
  }
}
