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

/** Source lines: `export const types = {...}`, each message's codec by full name. */
export function codecLines(messages, header) {
  const out = [header, "import $pb from 'protobufjs/minimal.js';", 'const { Writer, Reader, util } = $pb;', 'export const types = {};'];
  for (const t of messages) {
    out.push(`types[${JSON.stringify(fullName(t))}] = (function () {`);
    // the constructor protobufjs would make: map and repeated fields start empty (the decoder adds to them)
    out.push(`  const C = ${protobuf.Type.generateConstructor(t).toString()};`);
    out.push('  const types = [];');
    out.push(`  return { name: ${JSON.stringify(t.name)}, C, types, encode: ${protobuf.encoder(t).toString()},`);
    out.push(`  decode: ${protobuf.decoder(t).toString()},`);
    out.push(`  fromObject: ${protobuf.converter.fromObject(t).toString()},`);
    out.push(`  toObject: ${protobuf.converter.toObject(t).toString()} };`);
    out.push('})();');
  }
  // a field's message or enum type, by the field's index (what the generated functions look up in `types`)
  for (const t of messages) {
    t.fieldsArray.forEach((f, i) => {
      const r = f.resolvedType;
      if (r instanceof protobuf.Type) out.push(`types[${JSON.stringify(fullName(t))}].types[${i}] = types[${JSON.stringify(fullName(r))}];`);
      else if (r instanceof protobuf.Enum) out.push(`types[${JSON.stringify(fullName(t))}].types[${i}] = { values: ${JSON.stringify(r.values)} };`);
    });
  }
  return out;
}
