/** `da-audit decode` (issue "Troubleshooting" item 5): the IPv6 inside NULL-cipher IP-HTTPS on lines of its own, several files. */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { HAVE_TSHARK, run } from '../helpers/inputs.js';
import { suiteTempDir } from '../helpers/temp.js';

const CAPTURES = 'fixtures/captures';
const NULL_SHA = `${CAPTURES}/iphttps-null-sha.pcapng`;
const SAMPLE = `${CAPTURES}/sample-directaccess.pcapng`;
const dir = suiteTempDir('da-audit-decode-');

/** [number column, source → destination, stack] of each text line. */
function rows(text: string): [string, string, string][] {
  return text.trim().split('\n').map((l) => {
    const m = /^ *(\S+) +\S+ (.+?)  (\S+)  \d+/.exec(l)!;
    return [m[1]!, m[2]!, m[3]!];
  });
}

describe('decode: packets inside IP-HTTPS', () => {
  it('every frame once, in order; each inner IPv6 packet right after the outer frame that completed it, numbered <frame>.<k>', () => {
    const lines = rows(cli(['decode', NULL_SHA]).stdout);
    const outer = lines.filter(([n]) => !n.includes('.')).map(([n]) => Number(n));
    expect(outer).toEqual(Array.from({ length: outer.length }, (_, i) => i + 1));
    let last = 0;
    let k = 0;
    for (const [n, , stack] of lines) {
      if (!n.includes('.')) {
        last = Number(n);
        k = 0;
        continue;
      }
      expect(n).toBe(`${last}.${++k}`);
      expect(stack).toMatch(/^eth·ipv4·tcp·tls·iphttps·ipv6(·|$)/);
    }
    expect(lines.filter(([n]) => n.includes('.')).length).toBeGreaterThan(10);
  });

  it.runIf(HAVE_TSHARK)('the inner packets are exactly those extract writes, with the same outer frames and addresses (read back by tshark)', () => {
    for (const file of [NULL_SHA, SAMPLE]) {
      const inner = join(dir, 'inner.pcapng');
      expect(cli(['extract', file, '-o', inner]).code).toBe(0);
      const fromTshark = run('tshark', ['-r', inner, '-T', 'fields', '-e', 'frame.comment', '-e', 'ipv6.src', '-e', 'ipv6.dst']).stdout.trim().split('\n')
        .map((l) => {
          const [comment, src, dst] = l.split('\t');
          return [Number(/^outer frame (\d+);/.exec(comment!)![1]), `${src} → ${dst}`];
        });
      const fromDecode = rows(cli(['decode', file]).stdout).filter(([n]) => n.includes('.')).map(([n, addr]) => [Number(n.split('.')[0]), addr]);
      expect(fromDecode, file).toEqual(fromTshark);
    }
  });

  it('JSON lines: an inner packet carries its outer frame, its place under it and the layers that carried it', () => {
    const recs = cli(['decode', '-f', 'jsonl', NULL_SHA]).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const inner = recs.filter((r) => r['inner'] !== undefined);
    expect(inner.length).toBeGreaterThan(10);
    for (const r of inner) {
      expect(r['outerStack']).toBe('eth:ipv4:tcp:tls:iphttps');
      expect(r['stack']).toMatch(/^ipv6:/);
      const at = recs.indexOf(r);
      // The records before it, up to its outer frame, are inner packets of the same frame.
      const before = recs.slice(0, at).reverse().find((x) => x['inner'] === undefined)!;
      expect(before['frame']).toBe(r['frame']);
    }
  });

  it('--frame n prints that frame and the packets it completed; -c counts frames', () => {
    const one = rows(cli(['decode', '--frame', '16', NULL_SHA]).stdout);
    expect(one.map(([n]) => n)).toEqual(['16', '16.1']);
    const first = rows(cli(['decode', '-c', '15', NULL_SHA]).stdout);
    expect(first.filter(([n]) => !n.includes('.')).map(([n]) => n).at(-1)).toBe('15');
    expect(first.map(([n]) => n)).toContain('15.1');
  });
});

describe('decode: several files', () => {
  it('each file under a "# file" line (text) or with a file field (JSON lines), numbered from 1; the worst exit code', () => {
    const text = cli(['decode', '-c', '2', `${CAPTURES}/pcap-usec-le.pcap`, `${CAPTURES}/pcap-nsec-le.pcap`]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(`# ${CAPTURES}/pcap-usec-le.pcap`);
    expect(lines[3]).toBe(`# ${CAPTURES}/pcap-nsec-le.pcap`);
    expect([lines[1], lines[2], lines[4], lines[5]].map((l) => l!.trim().split(' ')[0])).toEqual(['1', '2', '1', '2']);
    const json = cli(['decode', '-f', 'jsonl', `${CAPTURES}/pcap-usec-le.pcap`, 'fixtures/bad/truncated-record.pcap']);
    expect(json.code).toBe(3);
    const recs = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; frame: number });
    const firsts = recs.filter((r) => r.frame === 1).map((r) => r.file);
    expect(firsts).toEqual([`${CAPTURES}/pcap-usec-le.pcap`, 'fixtures/bad/truncated-record.pcap']);
    expect(json.stderr).toContain('fixtures/bad/truncated-record.pcap');
  });
});
