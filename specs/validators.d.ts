// Types of dist/specs/validators.js, which scripts/build-validators.js generates from the schemas in this folder.
import type { ErrorObject } from 'ajv';

interface CompiledValidator {
  (doc: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export declare const config: CompiledValidator;
export declare const state: CompiledValidator;
export declare const features: CompiledValidator;
export declare const process: CompiledValidator;
