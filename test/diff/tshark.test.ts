/**
 * Differential test against tshark over every fixture and every corpus file: the reader (frame number,
 * time, lengths, interface) and the decoder (layer stack and the fields of each layer) must agree with
 * tshark, except for the documented allow-list. The agreement figures are printed.
 */
import { describe, expect, it } from 'vitest';
import { AnomalyRecorder } from '../../src/anomalies/recorder.js';
import { A } from '../../src/anomalies/registry.js';
import { RecordKind } from '../../src/capture/frame.js';
import { readCapture } from '../../src/capture/open.js';
import { dissect } from '../../src/decode/dissect.js';
import { Layer, tsharkLayerName } from '../../src/decode/layers.js';
import { PacketView } from '../../src/decode/packet-view.js';
import { Status } from '../../src/decode/status.js';
import { frameFields } from '../../src/report/frame-fields.js';
import { allInputs, decimalToNs, HAVE_CORPUS, HAVE_TSHARK, mapLimit, type Input } from '../helpers/inputs.js';
import { readPath } from '../helpers/read.js';
import { DECODE_FIELDS, tsharkRows } from '../helpers/tshark.js';
import { allowed } from './allowlist.js';

/** The protocols we decode, by their tshark names; other names in frame.protocols are not compared. */
const COMPARED = new Set(['eth', 'vlan', 'ieee8021ad', 'llc', 'sll', 'null', 'ip', 'ipv6', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr',
  'ipv6.dstopts', 'icmp', 'icmpv6', 'tcp', 'udp', 'esp', 'ah', 'teredo', 'isakmp', 'udpencap']);

function keepCompared(protocols: string): string {
  return protocols.split(':').filter((p) => COMPARED.has(p)).join(':');
}

interface Tally {
  frames: number;
  fields: number;
  excused: number;
  disagreements: string[];
}

if (!HAVE_TSHARK) console.warn('tshark not found: the tshark differential tests are skipped (CI installs tshark, so they run there)');
if (HAVE_TSHARK && !HAVE_CORPUS) console.warn('differential tests: ../shared/corpus not found; comparing fixtures only');

/** A disagreement: which input and frame, and what differs. */
interface Difference {
  frame: number;
  what: string;
}

async function compareAll(check: 'tshark-frames' | 'tshark-decode', one: (input: Input, tally: Tally) => Promise<Difference[]>): Promise<Tally> {
  const tally: Tally = { frames: 0, fields: 0, excused: 0, disagreements: [] };
  await mapLimit(allInputs(), 4, async (input) => {
    for (const d of await one(input, tally)) {
      if (allowed(input.name, check, undefined, d.frame)) tally.excused++;
      else tally.disagreements.push(`${input.name} frame ${d.frame} ${d.what}`);
    }
  });
  return tally;
}

describe.skipIf(!HAVE_TSHARK)('agreement with tshark', () => {
  const inputs = allInputs();

  it(`reader: frame number, time, lengths and interface on ${inputs.length} inputs`, { timeout: 600_000 }, async () => {
    const t = await compareAll('tshark-frames', async (input, tally) => {
      const [theirs, { frames, result }] = await Promise.all([tsharkRows(input.path), readPath(input.path)]);
      const local: Difference[] = [];
      if (theirs.length !== frames.length) local.push({ frame: 0, what: `count: tshark has ${theirs.length} frames, we have ${frames.length}` });
      for (let i = 0; i < Math.min(theirs.length, frames.length); i++) {
        const t = theirs[i]!;
        const f = frames[i]!;
        const ours: Record<string, string> = {
          'frame.number': String(f.number),
          'frame.time_epoch': f.hasTs ? (BigInt(f.sec) * 1_000_000_000n + BigInt(f.nsec)).toString() : '',
          'frame.len': String(f.wireLen),
          'frame.cap_len': String(f.capLen),
          // frame.interface_id is the IDB's index in its section; none for classic pcap or non-packet records.
          'frame.interface_id': result.format === 'pcapng' && f.interfaceId >= 0 ? String(result.interfaces[f.interfaceId]!.localId) : '',
        };
        const theirsNorm: Record<string, string> = { ...t, 'frame.time_epoch': t['frame.time_epoch'] ? decimalToNs(t['frame.time_epoch']).toString() : '' };
        for (const k of Object.keys(ours)) {
          tally.fields++;
          if (ours[k] !== theirsNorm[k]) local.push({ frame: i + 1, what: `${k}: tshark ${theirsNorm[k]} ours ${ours[k]}` });
        }
      }
      tally.frames += Math.min(theirs.length, frames.length);
      return local;
    });
    console.log(`tshark reader agreement: ${inputs.length} inputs, ${t.frames} frames, ${t.fields} fields compared, ` +
      `${t.disagreements.length} disagreement(s), ${t.excused} allow-listed`);
    expect(t.disagreements).toEqual([]);
  });

  it(`decoder: layer stack and per-layer fields on ${inputs.length} inputs`, { timeout: 600_000 }, async () => {
    const t = await compareAll('tshark-decode', async (input, tally) => {
      const theirs = await tsharkRows(input.path);
      const view = new PacketView(new AnomalyRecorder());
      const local: Difference[] = [];
      let i = 0;
      await readCapture(input.path, (f, buf) => {
        const t = theirs[i++];
        if (!t || f.kind !== RecordKind.Packet) return;
        dissect(view, f, buf);
        tally.frames++;
        // A header we could not finish (truncated, malformed, cut inside an ICMP quote) is the stop layer:
        // tshark lists it (marked malformed) and may show its first fields when any byte of it was
        // captured, or when the frame was captured whole (then even an empty header is a malformed one).
        // (tshark's IPv6 dissector declines a header whose version is not 6, so that one is not listed.)
        const started = view.stopAt >= 0 && (view.stopAt < view.captureEnd || !view.cut) && view.anomaly !== A.Ipv6BadVersion;
        const stop = started && view.stopLayer !== Layer.None && view.status !== Status.Unsupported ? tsharkLayerName(view.stopLayer) : '';
        const stack: string[] = [];
        for (let k = 0; k < view.count; k++) stack.push(tsharkLayerName(view.kind[k]!));
        if (stop) stack.push(stop);
        const ourStack = keepCompared(stack.join(':'));
        const theirStack = keepCompared(t['frame.protocols']);
        tally.fields++;
        if (ourStack !== theirStack) local.push({ frame: f.number, what: `stack: tshark ${theirStack} ours ${ourStack}` });
        const fields = frameFields(view);
        for (const name of DECODE_FIELDS) {
          if (name === 'frame.protocols') continue;
          tally.fields++;
          const ours = (fields[name] ?? []).map(String);
          const them = t[name] === '' ? [] : t[name].split(',');
          if (ours.join(',') === them.join(',')) continue;
          const partial = stop !== '' && name.startsWith(`${stop}.`) && them.length === ours.length + 1 && them.slice(0, ours.length).join(',') === ours.join(',');
          if (!partial) local.push({ frame: f.number, what: `${name}: tshark ${them.join(',') || '—'} ours ${ours.join(',') || '—'}` });
        }
      }, { hash: false });
      return local;
    });
    console.log(`tshark decoder agreement: ${inputs.length} inputs, ${t.frames} frames, ${t.fields} fields and stacks compared, ` +
      `${t.disagreements.length} disagreement(s), ${t.excused} allow-listed`);
    expect(t.disagreements.slice(0, 50)).toEqual([]);
  });
});
