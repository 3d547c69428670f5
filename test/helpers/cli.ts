/** Runs the built CLI (bin/da-audit.js) as a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './inputs.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `env` is added to the environment, from which COLUMNS is removed: a terminal's width exported by
 * the shell running the tests must not change how wide the tables are (160 columns unless asked).
 */
export function cli(args: string[], input?: Uint8Array, env: Record<string, string> = {}): CliRun {
  const { COLUMNS: _, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/da-audit.js'), ...args], {
    cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...inherited, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
