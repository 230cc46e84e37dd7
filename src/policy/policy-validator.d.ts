// Types for the validator that scripts/build-validator.mjs precompiles from
// schema/policy.schema.json into dist/src/policy/policy-validator.js (ajv
// standalone code, ajv options allErrors + verbose).
import type { PolicyDocument } from './policy-document.generated.js';

export interface AjvError {
  /** JSON pointer to the value, e.g. /hosts/db01/volumes/data/retention. */
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Set for errors inside `propertyNames`: the offending key. */
  readonly propertyName?: string;
  readonly message?: string;
  readonly parentSchema?: Readonly<Record<string, unknown>>;
  readonly data?: unknown;
}

export declare const validatePolicy: {
  (data: unknown): data is PolicyDocument;
  errors?: AjvError[] | null;
};
