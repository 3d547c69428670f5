/** Runs the built CLI (bin/da-audit.js) as a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './inputs.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], input?: Uint8Array): CliRun {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/da-audit.js'), ...args], {
    cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
