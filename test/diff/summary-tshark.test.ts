/** Differential test of `summary` against tshark (issue 4): flows vs `-z conv` (frames, bytes per port and address pair), DNS answers vs dns.* fields; allow-list in allowlist.ts. */
import { describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/analyze.js';
import { addressText } from '../../src/report/format.js';
import { corpusInputs, FIXTURES, HAVE_CORPUS, HAVE_TSHARK, mapLimit, runAsync, type Input } from '../helpers/inputs.js';
import { TSHARK_ARGS } from '../helpers/tshark.js';
import { daFixtures } from '../helpers/fixtures/da-fixtures.js';
import { sampleFixtures } from '../helpers/fixtures/sample.js';
import { allowed } from './allowlist.js';

if (!HAVE_TSHARK) console.warn('tshark not found: the summary differential tests are skipped (CI installs tshark, so they run there)');
if (HAVE_TSHARK && !HAVE_CORPUS) console.warn('summary differential tests: ../shared/corpus not found; comparing the DirectAccess fixtures only');

function inputs(): Input[] {
  const ours = [...sampleFixtures, ...daFixtures].filter((f) => f.path.endsWith('.pcapng')).map((f) => ({ name: `fixtures/${f.path}`, path: `${FIXTURES}/${f.path}` }));
  return [...ours, ...corpusInputs()];
}

type Table = 'tcp' | 'udp' | 'ip' | 'ipv6';

/**
 * tshark prints conversation bytes through format_size (SI units): the count in bytes below 10 kB, else the whole,
 * truncated number of the largest unit that leaves at least 10 ("19 kB" is 19,000–19,999 bytes). So its bytes are a
 * range, exact below 10 kB; ours must fall inside it.
 */
interface TheirTotals {
  frames: number;
  low: number;
  high: number;
}

const UNITS: Record<string, number> = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

function byteRange(text: string): { low: number; high: number } {
  const [n, unit] = text.split(' ');
  const size = UNITS[unit!];
  if (size === undefined) throw new Error(`unknown size unit in "${text}"`);
  return { low: Number(n) * size, high: Number(n) * size + size - 1 };
}

/** A conversation key that does not depend on which side spoke first: the two endpoints, sorted. */
function pairKey(a: string, b: string): string {
  return a < b ? `${a} <-> ${b}` : `${b} <-> ${a}`;
}

const TITLES: Record<string, Table> = { 'TCP Conversations': 'tcp', 'UDP Conversations': 'udp', 'IPv4 Conversations': 'ip', 'IPv6 Conversations': 'ipv6' };

/**
 * One tshark run per input: the fields of every frame (for the DNS records), then the conversation tables that
 * `-z conv,…` prints after them: "A <-> B  f bytes  f bytes  frames bytes  start duration".
 */
async function tshark(path: string): Promise<{ conversations: Map<string, TheirTotals>; answers: Set<string> }> {
  const r = await runAsync('tshark', [...TSHARK_ARGS, '-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=/s',
    '-e', 'frame.number', '-e', 'dns.flags.response', '-e', 'dns.resp.name', '-e', 'dns.resp.type', '-e', 'dns.a', '-e', 'dns.aaaa',
    '-z', 'conv,tcp', '-z', 'conv,udp', '-z', 'conv,ipv6', '-z', 'conv,ip']);
  const conversations = new Map<string, TheirTotals>();
  const answers = new Set<string>();
  let table: Table | null = null;
  for (const line of r.stdout.split('\n')) {
    if (TITLES[line.trim()] !== undefined) table = TITLES[line.trim()]!;
    if (table === null) {
      const fields = line.split('\t');
      if (fields.length === 6 && fields[1] === '1') answersOf(fields, answers);
      continue;
    }
    const m = /^(\S+)\s+<->\s+(\S+)\s+\d+\s+\d+ \S+\s+\d+\s+\d+ \S+\s+(\d+)\s+(\d+ \S+)\s+\S+\s+\S+\s*$/.exec(line);
    if (!m) continue;
    const key = `${table} ${pairKey(m[1]!, m[2]!)}`;
    const range = byteRange(m[4]!);
    // tshark may list one pair in several rows (separate TCP streams or tunnels); they add up.
    const prev = conversations.get(key) ?? { frames: 0, low: 0, high: 0 };
    conversations.set(key, { frames: prev.frames + Number(m[3]), low: prev.low + range.low, high: prev.high + range.high });
  }
  return { conversations, answers };
}

/** Adds "frame|name|address" for every A/AAAA record of one DNS, LLMNR or mDNS response (tshark fields of one frame). */
function answersOf([frame, , names = '', types = '', a = '', aaaa = '']: string[], out: Set<string>): void {
  const list = (s: string): string[] => (s === '' ? [] : s.split(' '));
  // Records come in order; dns.a and dns.aaaa hold the data of the A and AAAA records among them, in the same order.
  const as = list(a);
  const aaaas = list(aaaa);
  const nameList = list(names);
  list(types).forEach((type, i) => {
    const address = type === '1' ? as.shift() : type === '28' ? aaaas.shift() : undefined;
    if (address !== undefined) out.add(`${frame}|${(nameList[i] ?? '').toLowerCase()}|${address}`);
  });
}

/**
 * Our flows summed per tshark key: tshark counts conversations per address (and port) pair, without our tunnel-parent
 * split. The IPv6 we take out of NULL-cipher IP-HTTPS is left out: tshark has no IP-HTTPS dissector and never sees it
 * (test/unit/app/iphttps.test.ts checks that part).
 */
function ourConversations(a: Analysis): Map<string, { frames: number; bytes: number }> {
  const sums = new Map<string, { frames: number; bytes: number }>();
  const add = (key: string, frames: number, bytes: number): void => {
    const t = sums.get(key) ?? { frames: 0, bytes: 0 };
    t.frames += frames;
    t.bytes += bytes;
    sums.set(key, t);
  };
  for (const { flow: f } of a.flows) {
    if (f.carriedBy === 'ip-https') continue;
    const orig = addressText(f.origAddr);
    const resp = addressText(f.respAddr);
    // tshark counts every record; we count a packet recorded on two interfaces once and its other records as copies.
    const frames = f.packets + f.copies;
    const bytes = f.bytes + f.copyBytes;
    add(`${f.family === 4 ? 'ip' : 'ipv6'} ${pairKey(orig, resp)}`, frames, bytes);
    if (f.proto === 6 || f.proto === 17) add(`${f.proto === 6 ? 'tcp' : 'udp'} ${pairKey(`${orig}:${f.origPort}`, `${resp}:${f.respPort}`)}`, frames, bytes);
  }
  return sums;
}

/** Our A/AAAA records of DNS, LLMNR and mDNS responses, as tshark sees them: not those inside IP-HTTPS (see ourConversations). */
function ourAnswers(a: Analysis): Set<string> {
  const out = new Set<string>();
  for (const m of a.dnsMessages) {
    if (!m.response || a.byId.get(m.flowId)?.flow.carriedBy === 'ip-https') continue;
    for (const x of m.answers) out.add(`${x.frame}|${x.name.replace(/\.$/, '').toLowerCase()}|${addressText(x.address)}`);
  }
  return out;
}

interface Tally {
  inputs: number;
  compared: number;
  excused: number;
  disagreements: string[];
}

describe.skipIf(!HAVE_TSHARK)('summary agreement with tshark', () => {
  const all = inputs();
  const runs = new Map<string, Promise<[Awaited<ReturnType<typeof tshark>>, Analysis]>>();
  /** tshark's view and ours of one input, computed once for both comparisons. */
  const both = (input: Input): Promise<[Awaited<ReturnType<typeof tshark>>, Analysis]> => {
    let p = runs.get(input.path);
    if (!p) {
      p = Promise.all([tshark(input.path), analyze(input.path, { read: { hash: false } })]);
      runs.set(input.path, p);
    }
    return p;
  };

  it(`conversations: frames and bytes per TCP/UDP port pair and IPv4/IPv6 address pair on ${all.length} inputs`, { timeout: 600_000 }, async () => {
    const t: Tally = { inputs: 0, compared: 0, excused: 0, disagreements: [] };
    await mapLimit(all, 4, async (input) => {
      const [{ conversations: theirs }, a] = await both(input);
      t.inputs++;
      const ours = ourConversations(a);
      for (const key of new Set([...theirs.keys(), ...ours.keys()])) {
        t.compared++;
        const x = theirs.get(key);
        const y = ours.get(key);
        if (x && y && x.frames === y.frames && x.low <= y.bytes && y.bytes <= x.high) continue;
        const range = (r: TheirTotals): string => (r.low === r.high ? `${r.low}` : `${r.low}–${r.high}`);
        const what = `${key}: tshark ${x ? `${x.frames} frames ${range(x)} bytes` : '—'}, ours ${y ? `${y.frames} frames ${y.bytes} bytes` : '—'}`;
        if (allowed(input.name, 'tshark-conversations', undefined, undefined, key)) t.excused++;
        else t.disagreements.push(`${input.name} ${what}`);
      }
    });
    console.log(`summary conversations vs tshark: ${t.inputs} inputs, ${t.compared} conversations compared, ${t.compared - t.excused - t.disagreements.length} agree, `
      + `${t.disagreements.length} disagreement(s), ${t.excused} allow-listed`);
    expect(t.compared).toBeGreaterThan(0);
    expect(t.disagreements.slice(0, 50)).toEqual([]);
  });

  it(`DNS, LLMNR and mDNS answers: frame, name and address of every A/AAAA record on ${all.length} inputs`, { timeout: 600_000 }, async () => {
    const t: Tally = { inputs: 0, compared: 0, excused: 0, disagreements: [] };
    await mapLimit(all, 4, async (input) => {
      const [{ answers: theirs }, a] = await both(input);
      const ours = ourAnswers(a);
      if (theirs.size + ours.size > 0) t.inputs++;
      for (const key of new Set([...theirs, ...ours])) {
        t.compared++;
        if (theirs.has(key) && ours.has(key)) continue;
        const frame = Number(key.split('|')[0]);
        if (allowed(input.name, 'tshark-dns', undefined, frame)) t.excused++;
        else t.disagreements.push(`${input.name} ${key}: ${theirs.has(key) ? 'tshark only' : 'ours only'}`);
      }
    });
    console.log(`summary DNS answers vs tshark: ${t.inputs} inputs with answers, ${t.compared} records compared, ${t.compared - t.excused - t.disagreements.length} agree, `
      + `${t.disagreements.length} disagreement(s), ${t.excused} allow-listed`);
    expect(t.compared).toBeGreaterThan(0);
    expect(t.disagreements.slice(0, 50)).toEqual([]);
  });
});
