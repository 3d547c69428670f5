/** `info` against capinfos on every fixture and corpus file: packet count, first/last time, link types, packets per interface. */
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/open.js';
import { linkTypeDescription } from '../../src/capture/linktypes.js';
import { buildInfo } from '../../src/report/info.js';
import { allInputs, HAVE_CAPINFOS, runAsync } from '../helpers/inputs.js';
import { allowed } from './allowlist.js';

interface CapinfosBlock {
  packets: number | null;
  first: string | null;
  last: string | null;
  encapsulations: string[];
  interfacePackets: number[];
}

/** Parses `capinfos -M -S -c -a -e -I` long output into one block per file name. */
function parseCapinfos(text: string): Map<string, CapinfosBlock> {
  const out = new Map<string, CapinfosBlock>();
  let cur: CapinfosBlock | null = null;
  for (const line of text.split('\n')) {
    const name = /^File name:\s+(.*)$/.exec(line);
    if (name) {
      cur = { packets: null, first: null, last: null, encapsulations: [], interfacePackets: [] };
      out.set(name[1]!, cur);
      continue;
    }
    if (!cur) continue;
    let m: RegExpExecArray | null;
    if ((m = /^Number of packets:\s+(\d+)/.exec(line))) cur.packets = Number(m[1]);
    else if ((m = /^First packet time:\s+(\S+)/.exec(line))) cur.first = m[1] === 'n/a' ? null : m[1]!;
    else if ((m = /^Last packet time:\s+(\S+)/.exec(line))) cur.last = m[1] === 'n/a' ? null : m[1]!;
    else if ((m = /^\s+Encapsulation = (.*) \(\d+ - [^)]*\)$/.exec(line))) cur.encapsulations.push(m[1]!);
    else if ((m = /^\s+Number of packets = (\d+)/.exec(line))) cur.interfacePackets.push(Number(m[1]));
  }
  return out;
}

/** Our exact time, cut to as many fraction digits as capinfos printed (it truncates to the file precision). */
function cut(sec: number, nsec: number, like: string): string {
  const digits = (like.split('.')[1] ?? '').length;
  return digits === 0 ? String(sec) : `${sec}.${String(nsec).padStart(9, '0').slice(0, digits)}`;
}

if (!HAVE_CAPINFOS) console.warn('capinfos not found: the capinfos differential test is skipped (CI installs it with tshark)');

describe.skipIf(!HAVE_CAPINFOS)('info agrees with capinfos', () => {
  const inputs = allInputs();
  it(`agrees on ${inputs.length} inputs`, async () => {
    const r = await runAsync('capinfos', ['-M', '-S', '-c', '-a', '-e', '-I', ...inputs.map((i) => i.path)]);
    const blocks = parseCapinfos(r.stdout);
    const disagreements: string[] = [];
    let compared = 0;
    for (const input of inputs) {
      const theirs = blocks.get(input.path);
      const result = await readCapture(input.path, () => undefined);
      const info = buildInfo(result);
      const s = result.stats;
      const local: string[] = [];
      const report = (aspect: 'first-time' | 'last-time' | 'interfaces' | undefined, what: string): void => {
        if (!allowed(input.name, 'capinfos', aspect)) local.push(what);
      };
      if (!theirs) {
        // capinfos prints no report for files it cannot read to the end; we must flag them too.
        if (info.status === 'complete') report(undefined, `${input.name}: capinfos could not read it, we call it complete`);
      } else {
        compared++;
        if (theirs.packets !== s.packets) report(undefined, `${input.name}: packets capinfos ${theirs.packets} ours ${s.packets}`);
        if (theirs.first !== null && cut(s.earliestSec, s.earliestNsec, theirs.first) !== theirs.first) {
          report('first-time', `${input.name}: first time capinfos ${theirs.first} ours ${cut(s.earliestSec, s.earliestNsec, theirs.first)}`);
        }
        if (theirs.last !== null && cut(s.latestSec, s.latestNsec, theirs.last) !== theirs.last) {
          report('last-time', `${input.name}: last time capinfos ${theirs.last} ours ${cut(s.latestSec, s.latestNsec, theirs.last)}`);
        }
        const ours = result.interfaces.map((i) => linkTypeDescription(i.linkType));
        if (JSON.stringify(ours) !== JSON.stringify(theirs.encapsulations)) {
          report('interfaces', `${input.name}: link types capinfos ${JSON.stringify(theirs.encapsulations)} ours ${JSON.stringify(ours)}`);
        }
        const perIface = result.interfaces.map((i) => i.packets);
        if (JSON.stringify(perIface) !== JSON.stringify(theirs.interfacePackets)) {
          report('interfaces', `${input.name}: packets per interface capinfos ${JSON.stringify(theirs.interfacePackets)} ours ${JSON.stringify(perIface)}`);
        }
      }
      disagreements.push(...local);
    }
    console.log(`capinfos agreement: ${inputs.length} inputs, ${compared} reports compared, ${disagreements.length} disagreement(s)`);
    expect(disagreements).toEqual([]);
  });
});
