/** Validates report JSON against docs/report.schema.json with ajv (issue 15 item 1): every report the tests write. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { expect } from 'vitest';
import { ROOT } from './inputs.js';

const ajv = new Ajv({ allErrors: true, strict: true });
export const validateReport = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')) as object);

/** Fails the test with ajv's errors when `doc` does not match the schema. */
export function expectSchemaValid(doc: unknown): void {
  const ok = validateReport(doc);
  expect(ok ? [] : validateReport.errors).toEqual([]);
}
