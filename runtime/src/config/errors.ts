// Errors about the documents the runtime reads (config.json, process.json, state, features): one line naming the
// file, the JSON path of the offending field and the rule it breaks, e.g.
//   config.json: linux.namespaces[2].type: must be equal to one of the allowed values (pid, network, ...)
import { TsrunError } from '../errors.js';

export interface ConfigErrorWhere {
  /** The document, as the user knows it ("config.json", or the path given to `exec --process`). */
  file: string;
  /** Dotted JSON path with [index] for arrays; '' for the document itself. */
  path?: string;
}

export class ConfigError extends TsrunError {
  declare readonly code: 'invalid_config';
  readonly file: string;
  readonly path: string;

  constructor(message: string, where: ConfigErrorWhere, options?: { cause?: unknown }) {
    super('invalid_config', message, options);
    this.name = 'ConfigError';
    this.file = where.file;
    this.path = where.path ?? '';
  }

  /** `<file>: <path>: <rule>`, or `<file>: <rule>` for the document's top level. */
  static at(file: string, path: string, rule: string, options?: { cause?: unknown }): ConfigError {
    return new ConfigError(path ? `${file}: ${path}: ${rule}` : `${file}: ${rule}`, { file, path }, options);
  }
}
