/** `verify`'s options in effect: the command line over --config (issue 16 item 7), checked once, recorded in the report. */

import type { Writer } from './diagnostics.js';
import { ConfigError, DEFAULT_FAIL_ON, loadConfig, type SiteConfig } from '../fleet/config.js';
import type { HostMatch } from '../fleet/filters.js';
import type { ColourMode } from '../report/colour.js';
import { escapeTerminal } from '../report/format.js';
import type { Verdict } from '../rules/types.js';
import { hex32 } from '../util/bytes.js';
import type { AnalysisFlags } from './main.js';
import type { VerifyFormat, VerifyOptions } from './verify.js';

export interface VerifyFlags extends AnalysisFlags {
  format: VerifyFormat;
  output?: string;
  quiet: boolean;
  filesFrom?: string;
  jobs: number;
  failOn?: Verdict[];
  host: HostMatch[];
  pair: [HostMatch, HostMatch][];
  since?: number;
  until?: number;
  spi: number[];
  config?: string;
  raPort: number[];
  strict: boolean;
  details: boolean;
  color: ColourMode;
}

/**
 * The options of one verify run, or null after a usage error line. `given(name)`: the option was typed on the
 * command line, so it replaces the config file's value (a list option replaces the file's whole list).
 */
export function resolveVerify(files: string[], f: VerifyFlags, given: (option: string) => boolean, err: Writer):
  Omit<VerifyOptions, 'width' | 'progress' | 'details' | 'colour'> | null {
  if (files.length === 0 && f.filesFrom === undefined) {
    err('da-audit: error: no capture given (name files or folders, or use --files-from)');
    return null;
  }
  let config: SiteConfig = {};
  if (f.config !== undefined) {
    try {
      config = loadConfig(f.config);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      err(`da-audit: error: --config: ${escapeTerminal(e.message)}`);
      return null;
    }
  }
  const pick = <T>(option: string, cli: T, fromFile: T | undefined, fallback: T): T => (given(option) ? cli : fromFile ?? fallback);
  const daServers = pick('daServer', f.daServer, config.daServers, []);
  const daPrefixes = pick('daPrefix', f.daPrefix, config.daPrefixes, []);
  const iphttpsPrefixes = pick('iphttpsPrefix', f.iphttpsPrefix, config.iphttpsPrefixes, []);
  const nat64Prefixes = pick('nat64Prefix', f.nat64Prefix, config.nat64Prefixes, []);
  const raPorts = pick('raPort', f.raPort, config.raPorts, []);
  const failOn = pick('failOn', f.failOn ?? DEFAULT_FAIL_ON, config.failOn, DEFAULT_FAIL_ON);
  const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t * 1000).toISOString());
  return {
    format: f.format, strict: f.strict, failOn, jobs: f.jobs, quiet: f.quiet, output: f.output ?? null, filesFrom: f.filesFrom ?? null,
    analyze: { daServers, daPrefixes, ipHttpsPrefixes: iphttpsPrefixes, nat64Prefixes, raPorts, maxFlows: f.maxFlows, flowIdleSec: f.flowIdle },
    filters: { hosts: f.host, pairs: f.pair, since: f.since ?? null, until: f.until ?? null, spis: f.spi },
    settings: {
      config: f.config ?? null, daServers, daPrefixes, iphttpsPrefixes, nat64Prefixes, raPorts, failOn, strict: f.strict, jobs: f.jobs,
      maxFlows: f.maxFlows, flowIdle: f.flowIdle,
      filters: {
        host: f.host.map((h) => h.text), pair: f.pair.map(([a, b]) => `${a.text},${b.text}`), since: iso(f.since), until: iso(f.until),
        spi: f.spi.map(hex32),
      },
    },
  };
}
