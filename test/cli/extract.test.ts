/**
 * `da-audit extract` on the IP-HTTPS fixtures captured outside (issue "Inside IP-HTTPS" item 7): exactly the IPv6
 * packets each scenario put into the tunnel (count and bytes), with the outer frames' timestamps and a comment
 * naming them; tshark decodes what was written; an opaque (AES) carrier gives an empty capture and says why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { cli } from '../helpers/cli.js';
import { DA } from '../helpers/fixtures/da-fixtures.js';
import { ipHttpsModeNoneScenario, ipHttpsOutside, ipHttpsProxyScenario, ipHttpsStreamEdgesScenario, VERIFY } from '../helpers/fixtures/verify-fixtures.js';
import { HAVE_TSHARK, run } from '../helpers/inputs.js';
import { optionStrings, readPackets, type Capture, type EditablePacket } from '../helpers/pcapng-edit.js';
import type { InnerRecord } from '../helpers/scenario.js';
import { suiteTempDir } from '../helpers/temp.js';
import { TSHARK_ARGS } from '../helpers/tshark.js';

const CAPTURES = 'fixtures/captures';
const dir = suiteTempDir('da-audit-extract-');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 5952 text of a 16-byte address (as tshark prints it). */
function ipv6Text(b: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const text = groups.map((g) => g.toString(16));
  if (best.at < 0) return text.join(':');
  return `${text.slice(0, best.at).join(':')}::${text.slice(best.at + best.len).join(':')}`;
}

interface Extracted {
  code: number | null;
  stderr: string;
  out: string;
  packets: EditablePacket[];
}

function extract(path: string, name: string, ...args: string[]): Extracted {
  const out = join(dir, `${name}.pcapng`);
  const r = cli(['extract', ...args, path, '-o', out]);
  return { code: r.code, stderr: r.stderr, out, packets: readPackets(new Uint8Array(readFileSync(out))) };
}

/** The comment extract gives a packet: its outer frames (8 at most listed), then the IP-HTTPS flow and direction. */
function comment(p: InnerRecord): RegExp {
  const f = p.frames;
  const frames = f.length > 8 ? `${f.slice(0, 8).join(', ')}, …` : f.join(', ');
  const flow = `IP-HTTPS flow \\d+ ${DA.client1.v4.replace(/\./g, '\\.')}:\\d+ ↔ [\\d.]+:\\d+, ${p.outbound ? 'client → server' : 'server → client'}`;
  return new RegExp(`^outer frame${f.length > 1 ? 's' : ''} ${frames}; ${flow}$`);
}

/**
 * Each extracted packet with the scenario packet it is: the next unmatched one with the same bytes (a retransmitted
 * SYN repeats its bytes; copies come out in capture order, as the scenario sent them). In extraction order.
 */
function matched(expected: InnerRecord[], got: EditablePacket[]): [InnerRecord, EditablePacket][] {
  const queues = new Map<string, InnerRecord[]>();
  for (const p of expected) queues.set(hex(p.bytes), [...(queues.get(hex(p.bytes)) ?? []), p]);
  return got.map((g) => {
    const p = queues.get(hex(g.data))?.shift();
    if (!p) throw new Error(`extracted a packet the scenario did not send: ${hex(g.data).slice(0, 80)}…`);
    return [p, g];
  });
}

const fixtures: [string, () => Capture][] = [
  ['iphttps-null-sha', () => ipHttpsOutside(VERIFY.ipHttps.nullSha)],
  ['iphttps-null-sha256', () => ipHttpsOutside(VERIFY.ipHttps.nullSha256)],
  ['iphttps-proxy-connect', ipHttpsProxyScenario],
  ['iphttps-mode-none', ipHttpsModeNoneScenario],
  ['iphttps-stream-edges', ipHttpsStreamEdgesScenario],
];

if (!HAVE_TSHARK) console.warn('tshark not found: the tshark checks of extracted captures are skipped (CI installs tshark, so they run there)');

for (const [name, build] of fixtures) {
  describe(`extract: ${name}.pcapng`, () => {
    const s = build();
    const x = extract(`${CAPTURES}/${name}.pcapng`, name);
    // What reached the capture: every packet put into the tunnel whose bytes were not lost with a segment.
    const expected = s.inner.filter((p) => p.frames.length > 0);

    it('writes exactly the inner packets the scenario put into the tunnel', () => {
      expect(x.code).toBe(0);
      expect(x.stderr).toBe(`da-audit: ${expected.length} IPv6 packet(s) extracted to ${x.out}\n`);
      expect(x.packets).toHaveLength(expected.length);
      expect(x.packets.map((p) => hex(p.data)).sort()).toEqual(expected.map((p) => hex(p.bytes)).sort());
      expect(x.packets.every((p) => p.wireLength === p.data.length)).toBe(true);
    });

    it('gives each packet the time of the outer frame that delivered its last byte, and names its outer frames', () => {
      for (const [p, got] of matched(expected, x.packets)) {
        const f = s.frames[p.lastByteFrame - 1]!;
        // The interface writes nanoseconds.
        expect(got.ticks).toBe(BigInt(f.sec) * 1_000_000_000n + BigInt(f.nsec));
        expect(optionStrings(got.options, 1)).toEqual([expect.stringMatching(comment(p))]);
      }
    });

    it.skipIf(!HAVE_TSHARK)('opens in tshark, which decodes the inner IPv6, ESP, AuthIP (ISAKMP) and TCP', () => {
      const rows = run('tshark', [...TSHARK_ARGS, '-r', x.out, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f',
        '-e', 'frame.protocols', '-e', 'ipv6.src', '-e', 'esp.spi', '-e', 'tcp.srcport']).stdout.split('\n').filter((l) => l.length > 0);
      expect(rows).toHaveLength(x.packets.length);
      const pairs = matched(expected, x.packets);
      rows.forEach((row, i) => {
        const b = pairs[i]![0].bytes;
        const nh = b[6]!;
        const [protocols, src, espSpi, tcpPort] = row.split('\t');
        expect(src).toBe(ipv6Text(b.subarray(8, 24)));
        if (nh === 50) {
          expect(protocols).toBe('ipv6:esp');
          expect(espSpi).toBe(`0x${hex(b.subarray(40, 44))}`);
        } else if (nh === 17) {
          expect(protocols).toBe(((b[40]! << 8) | b[41]!) === 500 ? 'ipv6:udp:isakmp' : 'ipv6:udp');
        } else if (nh === 6) {
          expect(protocols).toMatch(/^ipv6:tcp/);
          expect(tcpPort).toBe(String((b[40]! << 8) | b[41]!));
        } else {
          expect([nh, protocols]).toEqual([58, 'ipv6:icmpv6']);
        }
      });
    });
  });
}

describe('extract: the edges of the IP-HTTPS stream (iphttps-stream-edges.pcapng)', () => {
  const s = ipHttpsStreamEdgesScenario();
  const path = `${CAPTURES}/iphttps-stream-edges.pcapng`;
  const lost = s.inner.filter((p) => p.frames.length === 0);
  /** NIC data frames of a label in one direction (a bare ACK is 54 bytes). */
  const data = (label: string, outbound: boolean): number[] => s.framesWith(label, 'ip-https').filter((f) => f.outbound === outbound && f.length > 54).map((f) => f.number);

  it('has every edge: packets sharing a record, packets split across records and segments, a repeated, a reordered and a lost segment', () => {
    // Several packets delivered by one segment; a packet whose bytes came in two segments.
    const batched = s.innerWith('batched').filter((p) => !p.outbound);
    expect(new Set(batched.map((p) => p.frames[0])).size).toBeLessThan(batched.length);
    expect(s.innerWith('split').some((p) => p.frames.length > 1)).toBe(true);
    const repeated = data('retransmitted', true);
    expect(repeated).toHaveLength(2);
    expect(s.frames[repeated[1]! - 1]!.length).toBe(s.frames[repeated[0]! - 1]!.length);
    // The record's second segment was written before its first: a packet across them ends in the earlier frame.
    const [x, y] = data('reordered', false) as [number, number];
    expect(s.innerWith('reordered').some((p) => p.frames.join() === `${x},${y}` && p.lastByteFrame === x)).toBe(true);
    expect(data('lost', false)).toEqual([]);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.labels).toContain('lost');
  });

  it('recovers the packets before and after the loss, and counts the lost bytes', async () => {
    const got = new Set(extract(path, 'edges-again').packets.map((p) => hex(p.data)));
    const before = s.inner.filter((p) => p.labels.includes('batched') || p.labels.includes('split') || p.labels.includes('reordered'));
    const after = s.innerWith('after');
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    for (const p of [...before, ...after]) expect(got.has(hex(p.bytes))).toBe(true);
    expect(got.has(hex(lost[0]!.bytes))).toBe(false);
    // The lost segment held one record: header (5), the packet, the NULL_SHA256 MAC (32).
    const a = await analyze(path, { read: { hash: false } });
    const tunnel = a.flows.find((r) => r.flow.ipHttps !== null)!.flow.ipHttps!;
    expect(tunnel.stats.server.tcp).toMatchObject({ gaps: 1, lostBytes: 5 + lost[0]!.length + 32 });
    expect(tunnel.stats.client.tcp.gaps).toBe(0);
    // The repeated segment's record (header, packet, MAC) arrived twice and was read once.
    const repeated = s.innerWith('retransmitted').filter((p) => p.outbound);
    expect(repeated).toHaveLength(1);
    expect(tunnel.stats.client.tcp.retransmittedBytes).toBe(5 + repeated[0]!.length + 32);
    expect(tunnel.stats.server.tcp.outOfOrderSegments).toBeGreaterThan(0);
    // The summary names the gap.
    const summary = JSON.parse(cli(['summary', '--format', 'json', path]).stdout) as { files: { capture: { anomalies: { id: string; count: number }[] } }[] };
    expect(summary.files[0]!.capture.anomalies).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'iphttps.tcp_gap', count: 1 })]));
  });
});

describe('extract: an opaque carrier (iphttps-aes.pcapng)', () => {
  const path = `${CAPTURES}/iphttps-aes.pcapng`;

  it('writes an empty capture and says why on stderr', () => {
    const x = extract(path, 'aes');
    expect(x.code).toBe(0);
    expect(x.packets).toEqual([]);
    expect(x.stderr).toBe(`da-audit: warning: ${path}: no IPv6 extracted: no IP-HTTPS connection with a NULL cipher suite in the capture\n`);
    const named = extract(path, 'aes-named', '--da-server', DA.name);
    expect(named.packets).toEqual([]);
    expect(named.stderr).toBe(`da-audit: warning: ${path}: no IPv6 extracted: the IP-HTTPS connection(s) use TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, whose records cannot be read without keys\n`);
  });

  it.skipIf(!HAVE_TSHARK)('the empty capture opens in tshark', () => {
    const x = extract(path, 'aes-tshark');
    const r = run('tshark', ['-r', x.out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });
});
