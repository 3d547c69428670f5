/**
 * Issue 16 item 6: --host, --pair, --since/--until, --spi. They choose which verdicts are reported; the analysis has
 * already seen every packet, so a filter never changes a verdict.
 */

import ip6addr from 'ip6addr';
import { recordSpis, type EndpointJson, type RecordJson } from '../report/verify.js';
import type { RecordTime } from './judge.js';

/** An address (compared written out in full, whatever way it was typed) or a name (compared without case or a trailing dot). */
export type HostMatch = { text: string } & ({ address: string } | { name: string });

export interface Filters {
  hosts: HostMatch[];
  pairs: [HostMatch, HostMatch][];
  /** Seconds since the epoch (capture time). */
  since: number | null;
  until: number | null;
  spis: number[];
}

export const NO_FILTERS: Filters = { hosts: [], pairs: [], since: null, until: null, spis: [] };

export function anyFilter(f: Filters): boolean {
  return f.hosts.length > 0 || f.pairs.length > 0 || f.since !== null || f.until !== null || f.spis.length > 0;
}

/** The address written out in full as IPv6 (an IPv4 address as ::ffff:a.b.c.d), or null when `text` is not an address. */
function addressKey(text: string): string | null {
  try {
    return ip6addr.parse(text).toString({ format: 'v6', zeroElide: false, zeroPad: true });
  } catch {
    return null;
  }
}

function nameKey(text: string): string {
  return text.toLowerCase().replace(/\.$/, '');
}

/** What the user typed for --host or one side of --pair: an IPv6 or IPv4 address (ip6addr parses it), else a host name. */
export function parseHost(text: string): HostMatch | null {
  if (text.trim() === '') return null;
  const key = addressKey(text);
  return key !== null ? { text, address: key } : { text, name: nameKey(text) };
}

/** "0x1a2b3c4d" or decimal → the SPI, or null. */
export function parseSpi(text: string): number | null {
  const n = /^0x[0-9a-f]{1,8}$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : null;
}

/** ISO 8601 with a date and, optionally, a time and zone (UTC when none is given) → seconds since the epoch, or null. */
export function parseTime(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const z = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${z}`);
  // Date.parse rolls 2026-02-31 over into March: a date that is not on the calendar is a typo, not a time.
  if (Number.isNaN(ms) || new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`)).toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) return null;
  return ms / 1000 + (frac === '' ? 0 : Number(frac));
}

function endpointMatches(e: EndpointJson, m: HostMatch): boolean {
  if ('address' in m) return addressKey(e.address) === m.address;
  return e.names.some((n) => nameKey(n) === m.name);
}

/**
 * True when the record is reported: it matches every kind of filter given (within a kind, any one value). A record
 * with no known time is kept by --since/--until only when no time filter is given.
 */
export function recordMatches(f: Filters, r: RecordJson, t: RecordTime): boolean {
  if (f.hosts.length > 0 && !f.hosts.some((h) => endpointMatches(r.a, h) || endpointMatches(r.b, h))) return false;
  if (f.pairs.length > 0 && !f.pairs.some(([x, y]) => (endpointMatches(r.a, x) && endpointMatches(r.b, y)) || (endpointMatches(r.a, y) && endpointMatches(r.b, x)))) return false;
  // Overlap: a session that began before --since but was still running after it is reported.
  if (f.since !== null && (t.lastSec === null || t.lastSec < f.since)) return false;
  if (f.until !== null && (t.firstSec === null || t.firstSec > f.until)) return false;
  if (f.spis.length > 0) {
    const own = recordSpis(r);
    if (!f.spis.some((s) => own.includes(s))) return false;
  }
  return true;
}
