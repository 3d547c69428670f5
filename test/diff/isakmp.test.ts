/** parseIsakmp (RFC 2408 §3, RFC 7296 §3, [MS-AIPS] §2.2) against tshark's isakmp fields on every located ISAKMP message. */

// On every frame of every fixture and corpus file where our decoder locates an ISAKMP layer, the header fields,
// the top-level payload chain, the vendor IDs and the notify types must agree with tshark, except for the
// documented allow-list (check 'tshark-isakmp'). The agreement figure is printed.
import { describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../src/anomalies/recorder.js';
import { parseIsakmp, type IsakmpMessage } from '../../src/app/isakmp.js';
import { RecordKind } from '../../src/capture/frame.js';
import { readCapture } from '../../src/capture/open.js';
import { dissect } from '../../src/decode/dissect.js';
import { Layer } from '../../src/decode/layers.js';
import { PacketView } from '../../src/decode/packet-view.js';
import { CaptureError } from '../../src/util/errors.js';
import { allInputs, HAVE_CORPUS, HAVE_TSHARK, mapLimit, runAsync, type Input } from '../helpers/inputs.js';
import { TSHARK_ARGS } from '../helpers/tshark.js';
import { allowed } from './allowlist.js';

/** The corpus files the brief names as carrying ISAKMP, and our IPsec fixture. */
const NAMED = [
  'corpus/arkime+arkime/tests/pcap/IKEv1.pcap', 'corpus/arkime+arkime/tests/pcap/IKEv2.pcap',
  'corpus/the-tcpdump-group+tcpdump/tests/ISAKMP_sa_setup.pcap', 'corpus/the-tcpdump-group+tcpdump/tests/isakmp4500.pcap',
  'corpus/the-tcpdump-group+tcpdump/tests/ikev2four.pcap', 'corpus/the-tcpdump-group+tcpdump/tests/ikev2pI2.pcap',
  'corpus/the-tcpdump-group+tcpdump/tests/ikev2-id-normal.pcap', 'corpus/the-tcpdump-group+tcpdump/tests/isakmp-delete-segfault.pcap',
  'corpus/the-tcpdump-group+tcpdump/tests/isakmp-no-none-np.pcapng', 'corpus/the-tcpdump-group+tcpdump/tests/ikev2pI2-segfault.pcapng',
  'fixtures/captures/decode-ipsec.pcap',
];
/**
 * Named too, but its only UDP 4500 datagram (to port 12336) starts with a non-zero word, so RFC 3948 makes it
 * ESP, not IKE: neither we nor tshark find ISAKMP in it (the tshark-decode test compares its layer stack).
 */
const NAMED_WITHOUT_ISAKMP = 'corpus/the-tcpdump-group+tcpdump/tests/isakmp-rfc3948-oobr.pcap';

const FIELDS = [
  'frame.number', 'isakmp.ispi', 'isakmp.rspi', 'isakmp.exchangetype', 'isakmp.version', 'isakmp.flags', 'isakmp.messageid',
  'isakmp.length', 'isakmp.nextpayload', 'isakmp.typepayload', 'isakmp.vid_bytes', 'isakmp.notify.msgtype',
] as const;
type Row = Record<(typeof FIELDS)[number], string[]>;

/** Our ISAKMP messages by frame number (null: located, but not ISAKMP by our rules). */
async function ours(input: Input): Promise<Map<number, IsakmpMessage | null>> {
  const out = new Map<number, IsakmpMessage | null>();
  const view = new PacketView(new AnomalyRecorder());
  try {
    await readCapture(input.path, (f, buf) => {
      if (f.kind !== RecordKind.Packet) return;
      dissect(view, f, buf);
      const i = view.find(Layer.Isakmp);
      if (i >= 0) out.set(f.number, parseIsakmp(buf, view.start[i]!, view.end[i]!, f.number));
    }, { hash: false });
  } catch (e) {
    // Inputs we refuse (Sun snoop) have no frames to compare; the reader tests cover them.
    if (!(e instanceof CaptureError)) throw e;
  }
  return out;
}

async function theirs(path: string): Promise<Map<number, Row>> {
  const r = await runAsync('tshark', [...TSHARK_ARGS, '-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a',
    '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])]);
  const rows = new Map<number, Row>();
  for (const line of r.stdout.split('\n')) {
    if (line.length === 0) continue;
    const cells = line.split('\t');
    const row = {} as Row;
    FIELDS.forEach((f, i) => (row[f] = cells[i] ? cells[i]!.split(',') : []));
    rows.set(Number(row['frame.number'][0]), row);
  }
  return rows;
}

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
/** Proposal (2) and Transform (3) appear in tshark's typepayload only as the insides of SA payloads. */
const topLevel = (types: string[]): string[] => types.filter((t) => t !== '2' && t !== '3');

/** Field → [ours, tshark's] for one message. */
function compare(m: IsakmpMessage, t: Row): [string, string, string][] {
  return [
    ['isakmp.ispi', m.initiatorSpi, t['isakmp.ispi'].join(',')],
    ['isakmp.rspi', m.responderSpi, t['isakmp.rspi'].join(',')],
    ['isakmp.exchangetype', String(m.exchange), t['isakmp.exchangetype'].join(',')],
    ['isakmp.version', hex2((m.version.major << 4) | m.version.minor), t['isakmp.version'].join(',')],
    ['isakmp.flags', hex2(m.flags.value), t['isakmp.flags'].join(',')],
    ['isakmp.messageid', `0x${m.messageId.toString(16).padStart(8, '0')}`, t['isakmp.messageid'].join(',')],
    ['isakmp.length', String(m.length), t['isakmp.length'].join(',')],
    // The first Next Payload is the header's; the others belong to payloads (and SK's names its first inner one).
    ['isakmp.nextpayload', String(m.nextPayload), t['isakmp.nextpayload'][0] ?? ''],
    ['isakmp.typepayload', topLevel(m.payloads.map((p) => String(p.type))).join(','), topLevel(t['isakmp.typepayload']).join(',')],
    ['isakmp.vid_bytes', m.vendorIds.map((v) => v.hex).join(','), t['isakmp.vid_bytes'].join(',')],
    ['isakmp.notify.msgtype', m.notifies.map((n) => String(n.type)).join(','), t['isakmp.notify.msgtype'].join(',')],
  ];
}

if (!HAVE_TSHARK) console.warn('tshark not found: the ISAKMP differential test is skipped (CI installs tshark, so it runs there)');

describe.skipIf(!HAVE_TSHARK)('ISAKMP agreement with tshark', () => {
  it('header, payload chain, vendor IDs and notify types on every located ISAKMP message', { timeout: 600_000 }, async () => {
    const inputs = allInputs();
    const tally = { files: 0, messages: 0, fields: 0, agreed: 0, excused: 0, disagreements: [] as string[] };
    const located: string[] = [];
    await mapLimit(inputs, 4, async (input) => {
      const mine = await ours(input);
      if (mine.size === 0) return;
      located.push(input.name);
      tally.files++;
      const rows = await theirs(input.path);
      const differ = (frame: number, what: string): void => {
        if (allowed(input.name, 'tshark-isakmp', undefined, frame)) tally.excused++;
        else tally.disagreements.push(`${input.name} frame ${frame} ${what}`);
      };
      for (const [frame, row] of rows) {
        if (row['isakmp.ispi'].length > 0 && !mine.has(frame)) differ(frame, 'tshark shows ISAKMP; our decoder located none');
      }
      for (const [frame, m] of mine) {
        const t = rows.get(frame);
        tally.messages++;
        if (!t || t['isakmp.ispi'].length === 0) {
          differ(frame, 'we located ISAKMP; tshark shows none');
          continue;
        }
        if (!m) {
          tally.fields++;
          differ(frame, `we do not take it for ISAKMP (major version not 1 or 2); tshark shows version ${t['isakmp.version'].join(',')}`);
          continue;
        }
        for (const [field, a, b] of compare(m, t)) {
          tally.fields++;
          if (a === b) tally.agreed++;
          else differ(frame, `${field}: tshark ${b || '—'} ours ${a || '—'}`);
        }
      }
    });
    const pct = tally.fields === 0 ? 100 : (100 * tally.agreed) / tally.fields;
    console.log(`tshark ISAKMP agreement: ${tally.files} files, ${tally.messages} messages, ${tally.agreed}/${tally.fields} fields agree ` +
      `(${pct.toFixed(2)}%), ${tally.disagreements.length} disagreement(s), ${tally.excused} allow-listed`);
    if (HAVE_CORPUS) {
      expect(located).toEqual(expect.arrayContaining(NAMED));
      expect(located).not.toContain(NAMED_WITHOUT_ISAKMP);
    }
    expect(tally.messages).toBeGreaterThan(0);
    expect(tally.disagreements.slice(0, 50)).toEqual([]);
  });
});
