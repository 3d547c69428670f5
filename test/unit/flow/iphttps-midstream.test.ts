/** Mid-stream IP-HTTPS at the analysis level (protocols §1.3–1.4; issue 13 item 1): captures that start after the tunnel came up, or lose it to idle expiry or eviction. */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Analysis, type AnalyzeOptions } from '../../../src/analyze.js';
import { FlowFinish } from '../../../src/flow/flow.js';
import { editPcapng, type EditablePacket } from '../../helpers/pcapng-edit.js';
import { ethernet, EtherType, ipv4, Proto, udp, type Bytes } from '../../helpers/build.js';
import { suiteTempDir } from '../../helpers/temp.js';

const dir = suiteTempDir('da-midstream-');
const FIXTURES = [
  'sample-directaccess.pcapng', 'da-iphttps-null.pcapng', 'iphttps-null-sha.pcapng', 'iphttps-null-sha256.pcapng', 'iphttps-mode-none.pcapng',
  'iphttps-proxy-connect.pcapng', 'iphttps-stream-edges.pcapng',
];
const fixture = (name: string): Bytes => readFileSync(join(import.meta.dirname, '../../../fixtures/captures', name));

let written = 0;
async function run(bytes: Bytes, options: AnalyzeOptions = {}): Promise<Analysis> {
  const path = join(dir, `c${written++}.pcapng`);
  writeFileSync(path, bytes);
  return analyze(path, options);
}

const hex = (a: Uint8Array): string => Buffer.from(a).toString('hex');

/** The flows inside IP-HTTPS tunnels, by addresses, ports and protocol, with what was seen of them (frames as in the original capture). */
function innerFlows(a: Analysis, shift: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of a.flows) {
    const f = r.flow;
    if (f.carriedBy !== 'ip-https') continue;
    const key = `${hex(f.origAddr)} ${f.origPort} ${hex(f.respAddr)} ${f.respPort} ${f.proto}`;
    expect(out.has(key), key).toBe(false);
    out.set(key, `packets ${f.origPackets}/${f.respPackets} bytes ${f.origBytes}/${f.respBytes} frames ${f.firstFrame + shift}–${f.lastFrame + shift} ${f.history}`);
    // Carried by a tunnel classified as IP-HTTPS.
    expect(a.byId.get(f.parent)?.label.transition).toBe('ip-https');
  }
  return out;
}

/** The outer frame holding the first byte of the first inner packet. */
async function firstInnerByteFrame(bytes: Bytes): Promise<number> {
  let first = Infinity;
  const path = join(dir, `c${written++}.pcapng`);
  writeFileSync(path, bytes);
  await analyze(path, { onInnerPacket: (q) => { first = Math.min(first, q.frames[0]!); } });
  return first;
}

describe('a capture that starts after the IP-HTTPS tunnel came up', () => {
  for (const name of FIXTURES) {
    it(`${name} with its first N frames cut, for every N up to the first inner packet: the same inner flows`, async () => {
      const bytes = fixture(name);
      const whole = await run(bytes);
      const want = innerFlows(whole, 0);
      expect(want.size).toBeGreaterThan(0);
      const first = await firstInnerByteFrame(bytes);
      for (let n = 1; n < first; n++) {
        const cut = await run(editPcapng(bytes, { packets: (p) => p.slice(n) }));
        expect(innerFlows(cut, n), `first ${n} frames cut`).toEqual(want);
      }
    });
  }

  it('the tunnel joined after its handshake is labelled ip-https with the frames that proved it', async () => {
    const a = await run(editPcapng(fixture('iphttps-null-sha.pcapng'), { packets: (p) => p.slice(29) }));
    const carrier = a.flows.find((r) => r.flow.ipHttpsInferred !== null)!;
    expect(carrier.flow.ipHttpsInferred!.macLength).toBe(20);
    expect(carrier.flow.ipHttpsInferred!.frames.length).toBe(3);
    expect(carrier.label.transition).toBe('ip-https');
    expect(carrier.label.reasons[0]!.text).toMatch(/^handshake not in the capture; NULL cipher inferred from frames \d+, \d+, \d+/);
    expect(carrier.label.reasons[0]!.frames).toEqual(carrier.flow.ipHttpsInferred!.frames);
    expect(a.coverage.midstreamTunnels).toEqual([{ flow: carrier.flow.id, frames: carrier.flow.ipHttpsInferred!.frames }]);
    expect(a.coverage.opaqueTunnels).toEqual([]);
  });

  it('a connection to a known IP-HTTPS server that cannot be read is an opaque tunnel, whether its handshake was seen or not', async () => {
    const bytes = fixture('iphttps-aes.pcapng');
    const options = { daServers: ['da.contoso.example'] };
    const whole = await run(bytes, options);
    expect(whole.coverage.opaqueTunnels).toEqual([{ flow: expect.any(Number), frames: [expect.any(Number)], why: expect.stringMatching(/^the ServerHello chose \S+, which encrypts/) }]);
    // Joined after the handshake, the DNS answer for the server's name kept: known by its name.
    const cut = await run(editPcapng(bytes, { packets: (p) => [...p.slice(0, 2), ...p.slice(20)] }), options);
    expect(cut.coverage.opaqueTunnels).toEqual([{ flow: expect.any(Number), frames: [3], why: expect.stringMatching(/^joined after its handshake, and its \d+ application data record\(s\) do not carry plaintext IPv6/) }]);
    // Without --da-server nothing says the server is a DirectAccess one.
    expect((await run(editPcapng(bytes, { packets: (p) => [...p.slice(0, 2), ...p.slice(20)] }))).coverage.opaqueTunnels).toEqual([]);
  });

  it('an encrypted IP-HTTPS tunnel joined after its handshake is not taken for NULL: its records are counted as opaque', async () => {
    const bytes = fixture('iphttps-aes.pcapng');
    const a = await run(editPcapng(bytes, { packets: (p) => p.slice(20) }));
    const tls = a.flows.filter((r) => r.flow.proto === 6 && (r.flow.respPort === 443 || r.flow.origPort === 443));
    expect(tls.length).toBe(1);
    expect(tls[0]!.flow.ipHttpsInferred).toBeNull();
    expect(tls[0]!.flow.ipHttps).toBeNull();
    expect(tls[0]!.flow.tlsMidstream!.records).toBeGreaterThan(20);
    // The cut capture starts with one of its application data records.
    expect(tls[0]!.flow.tlsMidstream!.firstFrame).toBe(1);
    expect(a.flows.some((r) => r.flow.carriedBy === 'ip-https')).toBe(false);
  });
});

/** The Remote Assistance session in clear inside iphttps-null-sha.pcapng: TCP between two clients' IP-HTTPS addresses. */
function clearSession(a: Analysis) {
  return a.flows.filter((r) => r.flow.carriedBy === 'ip-https' && r.flow.proto === 6 && r.flow.rdp !== null);
}

describe('a tunnel that expires or is evicted in the middle', () => {
  it('an idle gap longer than --flow-idle: the carrier expires, the packets after the gap are resynchronised and the clear session inside is found', async () => {
    const bytes = fixture('iphttps-null-sha.pcapng');
    const whole = await run(bytes);
    const session = clearSession(whole);
    expect(session.length).toBe(1);
    const start = session[0]!.flow.firstFrame;
    // Every packet from a few frames before the session on comes 2000 s later (the default idle bound is 1800 s).
    const gapAt = start - 4;
    const gapped = editPcapng(bytes, { packets: (p) => p.map((x) => x.from >= gapAt ? { ...x, ticks: x.ticks + 2000_000_000n } : x) });
    const a = await run(gapped);
    const carriers = a.flows.filter((r) => r.label.transition === 'ip-https' && r.flow.parent < 0);
    expect(carriers.length).toBe(2);
    expect(carriers[0]!.flow.finish).toBe(FlowFinish.Expired);
    expect(carriers[1]!.flow.ipHttpsInferred).not.toBeNull();
    const after = clearSession(a);
    expect(after.length).toBe(1);
    expect(after[0]!.flow.parent).toBe(carriers[1]!.flow.id);
    expect(after[0]!.flow.packets).toBe(session[0]!.flow.packets);
    // The coverage says so.
    expect(a.coverage.carriersEnded).toContainEqual(expect.objectContaining({ flow: carriers[0]!.flow.id, how: 'expired', resumedBy: carriers[1]!.flow.id }));
    // The ESP flow inside the old tunnel went on inside the new one.
    const esp = a.flows.filter((r) => r.flow.proto === 50 && r.flow.carriedBy === 'ip-https');
    expect(esp.map((r) => r.flow.parent)).toEqual([carriers[0]!.flow.id, carriers[1]!.flow.id]);
    expect(a.coverage.carriersEnded).toContainEqual(expect.objectContaining({ flow: esp[0]!.flow.id, how: 'expired', resumedBy: esp[1]!.flow.id }));
    expect(a.coverage.bounds.find((b) => b.id === 'flows.idle')).toMatchObject({ limit: 1800, dropped: 0 });
    // With the gap under the bound, one carrier.
    const b = await run(gapped, { flowIdleSec: 2500 });
    expect(b.flows.filter((r) => r.label.transition === 'ip-https' && r.flow.parent < 0).length).toBe(1);
  });

  it('a flood beyond --max-flows evicts the carrier: the packets after it are resynchronised and the clear session inside is found', async () => {
    const bytes = fixture('iphttps-null-sha.pcapng');
    const whole = await run(bytes);
    const start = clearSession(whole)[0]!.flow.firstFrame;
    const floodAt = start - 4;
    const flood = (t: EditablePacket): EditablePacket[] => Array.from({ length: 40 }, (_, i) => ({
      ...t, data: ethernet('00:15:5d:00:00:01', '00:15:5d:00:00:02', EtherType.IPv4,
        ipv4({ src: '192.168.1.20', dst: `198.51.100.${i + 1}`, protocol: Proto.UDP }, udp({ src: '192.168.1.20', dst: `198.51.100.${i + 1}` }, 40000 + i, 53, new Uint8Array(20)))),
      wireLength: 0,
    })).map((p) => ({ ...p, wireLength: p.data.length }));
    const flooded = editPcapng(bytes, { packets: (p) => p.flatMap((x) => x.from === floodAt ? [...flood(x), x] : [x]) });
    const a = await run(flooded, { maxFlows: 16 });
    const carriers = a.flows.filter((r) => r.label.transition === 'ip-https' && r.flow.parent < 0);
    expect(carriers.length).toBe(2);
    expect(carriers[0]!.flow.finish).toBe(FlowFinish.Evicted);
    const after = clearSession(a);
    expect(after.length).toBe(1);
    expect(after[0]!.flow.parent).toBe(carriers[1]!.flow.id);
    expect(a.coverage.carriersEnded).toContainEqual(expect.objectContaining({ flow: carriers[0]!.flow.id, how: 'evicted', resumedBy: carriers[1]!.flow.id }));
    const max = a.coverage.bounds.find((b) => b.id === 'flows.max')!;
    expect(max.dropped).toBe(a.flowStats.evictions);
    expect(max.clientCapable).toBeGreaterThan(0);
  });
});
