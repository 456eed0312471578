// The subset of node:util's parseArgs (strict mode) the CLI uses: --name, --name=value, --name value, -x, -x value,
// -xvalue, grouped boolean shorts (-fd), repeated `multiple` options, defaults, and `--` ending the flags.
// Loading node:util costs Bun about 2 ms per process, more than the rest of `tsrun state` itself does.
import { TsrunError } from '../errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  multiple?: boolean;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

/** The values parseArgs returns for an option table: string or boolean, arrays when multiple, never unset with a default. */
export type ValuesOf<T extends Record<string, OptionSpec>> = {
  [K in keyof T]: (T[K]['type'] extends 'boolean' ? boolean : string) extends infer V
    ? (T[K] extends { multiple: true } ? V[] : V) | (T[K] extends { default: string | boolean } ? never : undefined)
    : never;
};

export interface ParsedArgs<V = Values> {
  values: V;
  positionals: string[];
}

const unknown = (flag: string): TsrunError =>
  new TsrunError('usage', `Unknown option '${flag}'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "${flag}"'`);

/** A value that looks like a flag is refused as an option's argument ("-" alone, for stdin, is a value). */
const flagLike = (a: string): boolean => a.length > 1 && a.startsWith('-');

export function parseArgs<T extends Record<string, OptionSpec>>(args: readonly string[], options: T, allowPositionals: boolean): ParsedArgs<ValuesOf<T>> {
  const values: Values = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) if (o.short) byShort.set(o.short, name);

  const store = (name: string, flag: string, value: string | boolean | undefined): void => {
    const o = options[name] as OptionSpec;
    if (value === undefined) throw new TsrunError('usage', `Option '${flag} <value>' argument missing`);
    if (o.type === 'boolean' && typeof value === 'string') throw new TsrunError('usage', `Option '${flag}' does not take an argument`);
    if (o.multiple) ((values[name] ??= []) as string[]).push(String(value));
    else values[name] = value;
  };
  const positional = (a: string): void => {
    if (!allowPositionals) throw new TsrunError('usage', `Unexpected argument '${a}'. This command does not take positional arguments`);
    positionals.push(a);
  };

  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      args.slice(i + 1).forEach(positional);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const o = options[name];
      if (!o) throw unknown(eq < 0 ? a : a.slice(0, eq));
      // A string option takes the next argument unless it looks like a flag (node's parseArgs refuses that too).
      const next = args[i + 1];
      if (eq >= 0) store(name, `--${name}`, a.slice(eq + 1));
      else if (o.type === 'string' && next !== undefined && !flagLike(next)) store(name, a, args[++i] as string);
      else store(name, a, o.type === 'boolean' ? true : undefined);
    } else if (flagLike(a)) {
      for (let j = 1; j < a.length; j++) {
        const flag = `-${a[j]}`;
        const name = byShort.get(a[j] as string);
        if (!name) throw unknown(flag);
        if ((options[name] as OptionSpec).type === 'boolean') {
          store(name, flag, true);
          continue;
        }
        // -xvalue, or -x value
        const next = args[i + 1];
        if (j + 1 < a.length) store(name, flag, a.slice(j + 1));
        else if (next !== undefined && !flagLike(next)) store(name, flag, args[++i] as string);
        else store(name, flag, undefined);
        break;
      }
    } else {
      positional(a);
    }
  }
  for (const [name, o] of Object.entries(options)) if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
  return { values: values as ValuesOf<T>, positionals };
}
