/**
 * Issue 16 item 7: `--config FILE`, a site's DirectAccess context in JSON, so that a fleet audit runs with one command.
 * Options typed on the command line replace the file's values; the report records the values in effect.
 */

import { readFileSync } from 'node:fs';
import { parsePrefix } from '../classify/prefixes.js';
import type { Verdict } from '../rules/types.js';

export const FAIL_ON_CHOICES: readonly Verdict[] = ['clear', 'integrity-only', 'failed', 'inconclusive'];
export const DEFAULT_FAIL_ON: Verdict[] = ['clear', 'integrity-only'];

/** Every key a config file may hold (docs/cli.md "--config"). */
export interface SiteConfig {
  daServers?: string[];
  daPrefixes?: string[];
  iphttpsPrefixes?: string[];
  nat64Prefixes?: string[];
  raPorts?: number[];
  failOn?: Verdict[];
}

const KEYS = ['daServers', 'daPrefixes', 'iphttpsPrefixes', 'nat64Prefixes', 'raPorts', 'failOn'] as const;

export class ConfigError extends Error {}

/** An IPv6 prefix as the prefix options take it, else null. */
export function checkPrefix(text: string): boolean {
  if (!text.includes(':')) return false;
  try {
    parsePrefix(text);
    return true;
  } catch {
    return false;
  }
}

/** "clear,integrity-only" → the verdicts, or null when one is not a verdict that can fail a run. */
export function parseFailOn(text: string): Verdict[] | null {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0 || !parts.every((p) => (FAIL_ON_CHOICES as string[]).includes(p))) return null;
  return [...new Set(parts)] as Verdict[];
}

function strings(name: string, v: unknown, check: (s: string) => boolean, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ConfigError(`"${name}" must be a list of strings`);
  for (const s of v as string[]) if (!check(s)) throw new ConfigError(`"${name}": ${JSON.stringify(s)} is not ${what}`);
  return v as string[];
}

/** Reads and checks a config file; throws ConfigError with one line that says what is wrong (a usage error, exit 2). */
export function loadConfig(path: string): SiteConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${path} must hold a JSON object`);
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(KEYS as readonly string[]).includes(k));
  // A misspelt key would silently be ignored: the audit would run without the context the site meant to give.
  if (unknown.length > 0) throw new ConfigError(`${path}: unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${KEYS.join(', ')})`);
  const c: SiteConfig = {};
  if (o['daServers'] !== undefined) c.daServers = strings('daServers', o['daServers'], (s) => s !== '', 'a server name');
  for (const k of ['daPrefixes', 'iphttpsPrefixes', 'nat64Prefixes'] as const) {
    if (o[k] !== undefined) c[k] = strings(k, o[k], checkPrefix, 'an IPv6 prefix');
  }
  if (o['raPorts'] !== undefined) {
    const v = o['raPorts'];
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 1 && x <= 65535)) throw new ConfigError('"raPorts" must be a list of port numbers 1–65535');
    c.raPorts = v as number[];
  }
  if (o['failOn'] !== undefined) {
    const v = o['failOn'];
    const parsed = Array.isArray(v) && v.every((x) => typeof x === 'string') ? parseFailOn(v.join(',')) : null;
    if (parsed === null) throw new ConfigError(`"failOn" must be a list of verdicts among ${FAIL_ON_CHOICES.join(', ')}`);
    c.failOn = parsed;
  }
  return c;
}
