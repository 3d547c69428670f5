/**
 * Differential test of the capture reader against tshark, over every fixture and every corpus file:
 * frame.number, frame.time_epoch, frame.len, frame.cap_len and frame.interface_id must agree exactly.
 */
import { describe, expect, it } from 'vitest';
import { allInputs, decimalToNs, HAVE_CORPUS, HAVE_TSHARK, mapLimit, runAsync, type Input } from '../helpers/inputs.js';
import { readPath } from '../helpers/read.js';
import { allowed } from './allowlist.js';

const FIELDS = ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id'];

interface Row {
  number: string;
  time: string;
  len: string;
  capLen: string;
  iface: string;
}

async function tsharkRows(path: string): Promise<Row[]> {
  const r = await runAsync('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'separator=/t', ...FIELDS.flatMap((f) => ['-e', f])]);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => {
    const [number = '', time = '', len = '', capLen = '', iface = ''] = l.split('\t');
    return { number, time: time === '' ? '' : decimalToNs(time).toString(), len, capLen, iface };
  });
}

async function ourRows(path: string): Promise<Row[]> {
  const { frames, result } = await readPath(path);
  return frames.map((f) => ({
    number: String(f.number),
    time: f.hasTs ? (BigInt(f.sec) * 1_000_000_000n + BigInt(f.nsec)).toString() : '',
    len: String(f.wireLen),
    capLen: String(f.capLen),
    // frame.interface_id is the IDB's index inside its section; tshark has none for classic pcap
    // records or for non-packet pcapng records.
    iface: result.format === 'pcapng' && f.interfaceId >= 0 ? String(result.interfaces[f.interfaceId]!.localId) : '',
  }));
}

if (!HAVE_TSHARK) console.warn('tshark not found: the tshark differential test is skipped (CI installs tshark, so it runs there)');

describe.skipIf(!HAVE_TSHARK)('reader agrees with tshark frame by frame', () => {
  if (!HAVE_CORPUS) console.warn('differential test: ../shared/corpus not found; comparing fixtures only');
  const inputs = allInputs();

  it(`agrees on ${inputs.length} inputs (fixtures and corpus)`, async () => {
    const disagreements: string[] = [];
    let frames = 0;
    let fields = 0;
    let excused = 0;
    await mapLimit(inputs, 4, async (input: Input) => {
      const [theirs, ours] = await Promise.all([tsharkRows(input.path), ourRows(input.path)]);
      const local: string[] = [];
      if (theirs.length !== ours.length) local.push(`${input.name}: tshark has ${theirs.length} frames, we have ${ours.length}`);
      const n = Math.min(theirs.length, ours.length);
      for (let i = 0; i < n; i++) {
        const t = theirs[i]!;
        const o = ours[i]!;
        for (const k of ['number', 'time', 'len', 'capLen', 'iface'] as const) {
          fields++;
          if (t[k] !== o[k]) local.push(`${input.name} frame ${i + 1} ${k}: tshark ${t[k]} ours ${o[k]}`);
        }
      }
      frames += n;
      if (local.length > 0 && allowed(input.name, 'tshark-frames')) excused += local.length;
      else disagreements.push(...local);
    });
    console.log(`tshark frame agreement: ${inputs.length} inputs, ${frames} frames, ${fields} fields compared, ` +
      `${disagreements.length} disagreement(s), ${excused} allow-listed`);
    expect(disagreements).toEqual([]);
  });
});
