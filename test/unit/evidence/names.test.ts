/** Bundle names of the inputs and the SHA256SUMS lines (src/evidence/bundle.ts, manifest.ts). */
import { describe, expect, it } from 'vitest';
import { bundleNames } from '../../../src/evidence/bundle.js';
import { parseSums, sumsText } from '../../../src/evidence/manifest.js';

describe('bundleNames', () => {
  it('keeps a plain file name, and makes any other character _', () => {
    expect(bundleNames(['/x/y/capture-1.pcapng', 'a b/$(rm -rf ~);`id`\n.pcap', '..', '/tmp/.hidden.pcap', 'é.pcapng']))
      .toEqual(['capture-1.pcapng', '__rm_-rf_____id__.pcap', '_', '_hidden.pcap', '_.pcapng']);
  });

  it('makes every name unique, by its position, even against a file already named so', () => {
    expect(bundleNames(['a/x.pcap', 'b/x.pcap', '2-x.pcap', 'c/x.pcap'])).toEqual(['x.pcap', '2-x.pcap', '3-2-x.pcap', '4-x.pcap']);
  });
});

describe('SHA256SUMS', () => {
  const h = 'ab'.repeat(32);
  it('reads back what it writes; anything else in a line is an alteration', () => {
    const entries = [{ name: 'report.json', sha256: h }, { name: 'inputs/x.pcap', sha256: h.replace('a', 'c') }];
    expect(sumsText(entries)).toBe(`${h}  report.json\n${entries[1]!.sha256}  inputs/x.pcap\n`);
    expect(parseSums(sumsText(entries))).toEqual(entries);
    expect(parseSums(`${h} *binary.bin\n`)).toEqual([{ name: 'binary.bin', sha256: h }]);
    expect(parseSums(`${h.toUpperCase()}  x\n`)).toBeNull();
    expect(parseSums(`${h.slice(2)}  x\n`)).toBeNull();
    expect(parseSums('garbage\n')).toBeNull();
  });
});
