/** Temporary folders for the captures and outputs a test writes, removed when the tests that use them are done. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

function make(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A folder shared by the tests of a file or a `describe` (call it there, not inside a test); removed after them. */
export function suiteTempDir(prefix: string): string {
  const dir = make(prefix);
  afterAll(() => remove(dir));
  return dir;
}

/** A folder for one test (call it inside the test); removed when the test finishes, passed or failed. */
export function testTempDir(prefix: string): string {
  const dir = make(prefix);
  onTestFinished(() => remove(dir));
  return dir;
}
