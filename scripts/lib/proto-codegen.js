// Static protobuf codecs for a loaded protobufjs Root, as ES module source: for every message the constructor,
// encoder, decoder and converters that protobufjs would build at run time with its own code generators, built
// once at build time so that a program (the shim, tsctl, tsrund) loads only protobufjs/minimal and this code.
// Used by gen-shim-proto.js and gen-tsrund-proto.js.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const protobuf = require('protobufjs');

/** The messages and services of root, in declaration order. */
export function collect(root) {
  const messages = [];
  const services = [];
  const walk = (ns) => {
    for (const o of ns.nestedArray ?? []) {
      if (o instanceof protobuf.Type) messages.push(o);
      if (o instanceof protobuf.Service) services.push(o);
      if (o.nestedArray) walk(o);
    }
  };
  walk(root);
  return { messages, services };
}

/** A type's full name without the leading dot ("tsrund.v1.Container"). */
export const fullName = (t) => t.fullName.slice(1);

/**
 * The directions each message travels in for a program that receives `incoming` and sends `outgoing` (message
 * Types), with the messages nested in them: Map<Type, { encode, decode }>.
 */
export function directions(incoming, outgoing) {
  const ways = new Map();
  const mark = (t, way) => {
    const w = ways.get(t) ?? { encode: false, decode: false };
    if (w[way]) return;
    w[way] = true;
    ways.set(t, w);
    for (const f of t.fieldsArray) if (f.resolvedType instanceof protobuf.Type) mark(f.resolvedType, way);
  };
  for (const t of incoming) mark(t, 'decode');
  for (const t of outgoing) mark(t, 'encode');
  return ways;
}

/**
 * Source lines: `export const types = {...}`, each message's codec by full name. With `ways` (directions()), only
 * the messages in it, each with only the functions of its directions: encode and fromObject to send, decode and
 * toObject to receive.
 */
export function codecLines(messages, header, ways) {
  const out = [header, "import $pb from 'protobufjs/minimal.js';", 'const { Writer, Reader, util } = $pb;', 'export const types = {};'];
  const all = { encode: true, decode: true };
  for (const t of messages) {
    const way = ways ? ways.get(t) : all;
    if (!way) continue;
    out.push(`types[${JSON.stringify(fullName(t))}] = (function () {`);
    // the constructor protobufjs would make: map and repeated fields start empty (the decoder adds to them)
    out.push(`  const C = ${protobuf.Type.generateConstructor(t).toString()};`);
    out.push('  const types = [];');
    out.push(`  return { name: ${JSON.stringify(t.name)}, C, types,`);
    if (way.encode) out.push(`  encode: ${protobuf.encoder(t).toString()},`, `  fromObject: ${protobuf.converter.fromObject(t).toString()},`);
    if (way.decode) out.push(`  decode: ${protobuf.decoder(t).toString()},`, `  toObject: ${protobuf.converter.toObject(t).toString()},`);
    out.push('  };', '})();');
  }
  // a field's message or enum type, by the field's index (what the generated functions look up in `types`)
  for (const t of messages) {
    if (ways && !ways.has(t)) continue;
    t.fieldsArray.forEach((f, i) => {
      const r = f.resolvedType;
      if (r instanceof protobuf.Type) out.push(`types[${JSON.stringify(fullName(t))}].types[${i}] = types[${JSON.stringify(fullName(r))}];`);
      else if (r instanceof protobuf.Enum) out.push(`types[${JSON.stringify(fullName(t))}].types[${i}] = { values: ${JSON.stringify(r.values)} };`);
    });
  }
  return out;
}
