// Schema validation of the spec documents with the validators that scripts/build-validators.js compiled from
// specs/*.json at build time: nothing is compiled here, and ajv itself is never loaded at run time.
//
// ajv can report several errors for one failure (each branch of an anyOf, the `if` whose `then` failed, ...);
// the user gets one line, so we pick the error that says most: the deepest in the document.
import type { ErrorObject } from 'ajv';
// Generated into dist/specs/ by the build; the same relative path reaches specs/validators.d.ts from the sources.
import * as loaded from '../../../specs/validators.js';
import { ConfigError } from './errors.js';

export type DocumentKind = 'config' | 'state' | 'features' | 'process';


/** Throws a ConfigError naming `file`, the JSON path and the broken rule unless `doc` is a valid `kind` document. */
export function validateDocument(kind: DocumentKind, doc: unknown, file: string): void {
  const validate = loaded[kind];
  if (validate(doc)) return;
  const errors = validate.errors ?? [];
  const error = pickError(errors);
  if (!error) throw ConfigError.at(file, '', 'is not valid');
  throw ConfigError.at(file, jsonPath(doc, error.instancePath), rule(error, errors));
}

// Combinators only say that some branch failed; the branch's own errors say which rule.
const COMBINATORS = new Set(['anyOf', 'oneOf', 'allOf', 'if']);

function depth(e: ErrorObject): number {
  return e.instancePath === '' ? 0 : e.instancePath.split('/').length - 1;
}

function pickError(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const specific = errors.filter((e) => !COMBINATORS.has(e.keyword));
  let best: ErrorObject | undefined;
  for (const e of specific.length > 0 ? specific : errors) {
    if (!best || depth(e) > depth(best)) best = e;
  }
  // A failed propertyNames check is reported twice (the inner rule, then propertyNames): prefer the latter,
  // which names the offending key.
  if (best && 'propertyName' in best) {
    return errors.find((e) => e.keyword === 'propertyNames' && e.instancePath === best?.instancePath) ?? best;
  }
  return best;
}

// Patterns whose meaning the bare regular expression would hide.
const PATTERN_RULES: Record<string, string> = {
  '^/': 'must be an absolute path',
  '^(?:[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*)?$': 'must be a comma-separated list of numbers and ranges, e.g. 0-3,7',
  '^[1-9][0-9]*[KMG]B$': 'must be a size like 64KB, 2MB or 1GB',
  '^CAP_[A-Z0-9_]+$': 'must be a capability name like CAP_CHOWN',
  '^[rwm]*$': "must be a combination of 'r', 'w' and 'm'",
  '^[^\\n]*$': 'must not contain newlines',
  '^MB:[^\\n]*$': "must start with 'MB:' and not contain newlines",
};
const SEMVER_PREFIX = '^(0|[1-9]\\d*)\\.';

function rule(e: ErrorObject, all: readonly ErrorObject[]): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      // anyOf: [{required: [a]}, {required: [b]}] reads best as one sentence.
      const alternatives = requiredAlternatives(e, all);
      return `must have required property ${alternatives.map((n) => `'${n}'`).join(' or ')}`;
    }
    case 'enum':
      return `${e.message} (${(p.allowedValues as unknown[]).map(String).join(', ')})`;
    case 'type':
      return `must be ${String(p.type).split(',').join(' or ')}`;
    case 'pattern': {
      const pattern = String(p.pattern);
      if (pattern.startsWith(SEMVER_PREFIX)) return 'must be a SemVer 2.0.0 version, e.g. 1.3.0';
      return PATTERN_RULES[pattern] ?? `must match pattern "${pattern}"`;
    }
    case 'additionalProperties':
      return `must NOT have additional property '${String(p.additionalProperty)}'`;
    case 'propertyNames':
      return p.propertyName === '' ? 'keys must not be empty' : `key "${String(p.propertyName)}" is not allowed`;
    default:
      return e.message ?? `must pass "${e.keyword}"`;
  }
}

function requiredAlternatives(e: ErrorObject, all: readonly ErrorObject[]): string[] {
  const own = String((e.params as { missingProperty: unknown }).missingProperty);
  const anyOf = all.find(
    (a) => a.keyword === 'anyOf' && a.instancePath === e.instancePath && e.schemaPath.startsWith(`${a.schemaPath}/`),
  );
  if (!anyOf) return [own];
  const branches = all.filter((b) => b.schemaPath.startsWith(`${anyOf.schemaPath}/`));
  if (!branches.every((b) => b.keyword === 'required' && b.instancePath === e.instancePath)) return [own];
  return branches.map((b) => String((b.params as { missingProperty: unknown }).missingProperty));
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** JSON pointer -> `linux.namespaces[2].type`; keys that are not identifiers are quoted: `annotations["a.b"]`. */
function jsonPath(doc: unknown, pointer: string): string {
  if (pointer === '') return '';
  let path = '';
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) path += `[${key}]`;
    else if (IDENTIFIER.test(key)) path += path ? `.${key}` : key;
    else path += `[${JSON.stringify(key)}]`;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return path;
}
