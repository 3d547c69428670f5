/** pcap-parser as an independent oracle for classic pcap: same records, timestamps, lengths and bytes. */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allInputs, HAVE_CORPUS } from '../helpers/inputs.js';
import { readPath } from '../helpers/read.js';
import { allowed } from './allowlist.js';

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(path: string): NodeJS.EventEmitter };

interface OracleRecord {
  sec: number;
  usec: number;
  capLen: number;
  wireLen: number;
  data: Uint8Array;
}

function oracle(path: string): Promise<OracleRecord[]> {
  return new Promise((resolve) => {
    const out: OracleRecord[] = [];
    const p = pcapParser.parse(path);
    p.on('packet', (pkt: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      out.push({ sec: pkt.header.timestampSeconds, usec: pkt.header.timestampMicroseconds, capLen: pkt.header.capturedLength, wireLen: pkt.header.originalLength, data: new Uint8Array(pkt.data) });
    });
    p.on('error', () => undefined); // it errors on what it cannot read; the records so far still count
    p.on('end', () => resolve(out));
  });
}

/** pcap-parser reads only the two microsecond magics of version 2.x, uncompressed. */
function isMicrosecondPcap(path: string): boolean {
  const head = readFileSync(path).subarray(0, 4);
  const m = head.length === 4 ? head.readUInt32BE(0) : 0;
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1;
}

describe('reader agrees with pcap-parser on every classic microsecond pcap', () => {
  const inputs = allInputs().filter((i) => isMicrosecondPcap(i.path));
  it(`agrees on ${inputs.length} classic pcap files`, async () => {
    let records = 0;
    let excused = 0;
    for (const input of inputs) {
      const [theirs, ours] = await Promise.all([oracle(input.path), readPath(input.path)]);
      if (allowed(input.name, 'pcap-parser')) {
        excused++;
        continue;
      }
      // pcap-parser keeps the raw µs field; we carry a field ≥ 10^6 into the seconds. Compare total µs.
      const mine = ours.frames.map((f) => ({ micros: f.sec * 1_000_000 + f.nsec / 1000, capLen: f.capLen, wireLen: f.wireLen, data: f.data }));
      const raw = theirs.map((r) => ({ micros: r.sec * 1_000_000 + r.usec, capLen: r.capLen, wireLen: r.wireLen, data: r.data }));
      expect(mine, input.name).toEqual(raw);
      records += theirs.length;
    }
    console.log(`pcap-parser agreement: ${inputs.length} files, ${records} records, 0 disagreements, ${excused} file(s) allow-listed`);
    // Our classic fixtures alone hold a few dozen records; with the corpus there are thousands.
    expect(records).toBeGreaterThan(HAVE_CORPUS ? 1000 : 50);
  });
});
