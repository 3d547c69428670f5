/** Analysis.coverage (src/flow/coverage.ts; issue 13 items 2–4, docs/cli.md "Bounds"): each bound, with small limits, counts what it dropped, and nothing client-capable vanishes silently. */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Analysis, type AnalyzeOptions } from '../../../src/analyze.js';
import { esp, espNullBody, isakmpHeader, Prng, Proto, tcp, TcpFlag, u32, udp, type Bytes } from '../../helpers/build.js';
import { Scenario } from '../../helpers/scenario.js';
import { suiteTempDir } from '../../helpers/temp.js';

const dir = suiteTempDir('da-coverage-');
const A = 'fe80::8d4:1c2b:3a4d:5e6f';
const B = 'fe80::a1b2:c3d4:e5f6:789';
const T0 = 1_764_140_400;

let n = 0;
async function run(s: Scenario, options: AnalyzeOptions = {}): Promise<Analysis> {
  const path = join(dir, `c${n++}.pcapng`);
  writeFileSync(path, s.bytes());
  return analyze(path, options);
}

function raw(seed: number): { s: Scenario; send: (src: string, dst: string, proto: number, payload: Bytes) => number } {
  const s = new Scenario({ t0: T0, local: [A], seed });
  const link = s.rawLink(s.interface('raw', 1));
  let frame = 0;
  return { s, send: (src, dst, proto, payload) => { s.send(src, dst, proto, payload, link); return ++frame; } };
}

const bound = (a: Analysis, id: string) => a.coverage.bounds.find((b) => b.id === id)!;

describe('coverage: every bound is listed', () => {
  it('with its id, its limit, and dropped 0 when nothing was dropped', async () => {
    const { s, send } = raw(1);
    send(A, B, Proto.UDP, udp({ src: A, dst: B }, 5000, 5001, new Uint8Array(8)));
    const a = await run(s, { maxFlows: 10, flowIdleSec: 60, maxRetainedFlows: 7 });
    expect(a.coverage.bounds.map((b) => [b.id, b.limit, b.dropped, b.clientCapable])).toEqual([
      ['flows.max', 10, 0, 0], ['flows.idle', 60, 0, 0], ['flows.retained', 14, 0, 0], ['sa.per_flow', 64, 0, 0],
      ['ike.negotiations', 10_000, 0, 0], ['ike.messages', 64, 0, 0], ['esp.samples', 16, 0, 0], ['iphttps.reassembly', 16 * 1024 * 1024, 0, 0],
    ]);
    for (const b of a.coverage.bounds) expect(b.what.length).toBeGreaterThan(20);
    expect(a.coverage.midstreamTunnels).toEqual([]);
    expect(a.coverage.opaqueTunnels).toEqual([]);
    expect(a.coverage.carriersEnded).toEqual([]);
  });
});

describe('coverage: SAs per flow', () => {
  /** `encrypted` SAs of random-looking ESP, then one ESP-NULL SA carrying TCP, all on one link-local flow. */
  function spis(encrypted: number, seed: number): { s: Scenario; nullFrames: number[] } {
    const { s, send } = raw(seed);
    const rng = new Prng(seed);
    for (let i = 0; i < encrypted; i++) for (let k = 1; k <= 2; k++) send(A, B, Proto.ESP, esp(0x10000 + i, k, rng.bytes(96)));
    const nullFrames: number[] = [];
    for (let k = 1; k <= 7; k++) {
      const seg = tcp({ src: A, dst: B }, { sport: 49500, dport: 49750, seq: k, flags: TcpFlag.ACK | TcpFlag.PSH }, rng.bytes(40));
      nullFrames.push(send(A, B, Proto.ESP, esp(0x0eeee001, k, espNullBody(seg, Proto.TCP, 12, k))));
    }
    return { s, nullFrames };
  }

  it('an ESP-NULL SA after more SAs than the bound: its packets are counted on the flow and in sa.per_flow, with their first frames', async () => {
    const { s, nullFrames } = spis(4, 2);
    const a = await run(s, { limits: { sasPerFlow: 4 } });
    const esps = a.flows.filter((r) => r.flow.proto === 50);
    expect(esps).toHaveLength(1);
    const f = esps[0]!.flow;
    expect(f.sas!.map((x) => x.spi)).toEqual([0x10000, 0x10001, 0x10002, 0x10003]);
    expect(f.sasNotTracked).toEqual({ packets: 7, frames: nullFrames.slice(0, 5) });
    expect(bound(a, 'sa.per_flow')).toMatchObject({ limit: 4, dropped: 7, clientCapable: 7, frames: nullFrames.slice(0, 5) });
    // Under the default bound the same SA is tracked and nothing is dropped.
    const all = await run(s);
    expect(all.flows.find((r) => r.flow.proto === 50)!.flow.sas!.some((x) => x.spi === 0x0eeee001)).toBe(true);
    expect(bound(all, 'sa.per_flow').dropped).toBe(0);
  });

  it('10,000 SPIs on one flow: 64 tracked, the rest counted, the frames kept bounded', async () => {
    const { s, send } = raw(3);
    for (let i = 0; i < 10_000; i++) send(A, B, Proto.ESP, esp(0x20000 + i, 1, new Uint8Array(32).fill(i & 0xff)));
    const a = await run(s);
    const f = a.flows.find((r) => r.flow.proto === 50)!.flow;
    expect(f.sas).toHaveLength(64);
    expect(f.sasNotTracked!.packets).toBe(10_000 - 64);
    expect(f.sasNotTracked!.frames).toHaveLength(5);
    expect(bound(a, 'sa.per_flow')).toMatchObject({ dropped: 10_000 - 64, clientCapable: 10_000 - 64, frames: [65, 66, 67, 68, 69] });
  });

  it('esp.samples: packets past the 16 samples of an SA are counted, not client traffic left unjudged', async () => {
    const { s, send } = raw(4);
    const rng = new Prng(4);
    for (let k = 1; k <= 20; k++) send(A, B, Proto.ESP, esp(0x30000, k, rng.bytes(80)));
    const a = await run(s);
    expect(bound(a, 'esp.samples')).toMatchObject({ limit: 16, dropped: 4, clientCapable: 0 });
  });
});

describe('coverage: IKE negotiations and messages', () => {
  it('negotiations past the bound and messages past the per-negotiation bound are counted, with their first frames', async () => {
    const { s, send } = raw(5);
    const frames: number[][] = [];
    for (let neg = 0; neg < 4; neg++) {
      frames.push([]);
      for (let m = 0; m < 5; m++) {
        const msg = isakmpHeader({ ispi: new Uint8Array([...u32(0x1000 + neg), ...u32(7)]), nextPayload: 0, exchange: 0xf3, messageId: 0 }, new Uint8Array(0));
        frames[neg]!.push(send(m % 2 === 0 ? A : B, m % 2 === 0 ? B : A, Proto.UDP, udp(m % 2 === 0 ? { src: A, dst: B } : { src: B, dst: A }, 500, 500, msg)));
      }
    }
    const a = await run(s, { limits: { ikeNegotiations: 2, ikeMessages: 3 } });
    expect(a.negotiations).toHaveLength(2);
    expect(bound(a, 'ike.negotiations')).toMatchObject({ limit: 2, dropped: 10, clientCapable: 10, frames: frames[2]!.slice(0, 5) });
    expect(bound(a, 'ike.messages')).toMatchObject({ limit: 3, dropped: 4, clientCapable: 4, frames: [frames[0]![3], frames[0]![4], frames[1]![3], frames[1]![4]] });
  });
});

describe('coverage: finished flows kept for the report', () => {
  it('past the retention bound, every dropped flow is counted, and how many could carry client traffic', async () => {
    const { s, send } = raw(6);
    const v4 = { src: '192.168.1.20', dst: '192.168.1.1' };
    for (let i = 0; i < 10; i++) send(v4.src, v4.dst, Proto.UDP, udp(v4, 6000 + i, 53, new Uint8Array(4)));
    for (let i = 0; i < 10; i++) send(A, B, Proto.UDP, udp({ src: A, dst: B }, 7000 + i, 7000, new Uint8Array(4)));
    const a = await run(s, { maxRetainedFlows: 3 });
    const keptV6 = a.flows.filter((r) => r.flow.family === 6).length;
    const b = bound(a, 'flows.retained');
    expect(a.flows.length + b.dropped).toBe(20);
    expect(b.dropped).toBe(a.flowStats.summarizedOnly);
    expect(b.dropped).toBeGreaterThan(0);
    expect(b.clientCapable).toBe(10 - keptV6);
    expect(b.clientCapable).toBeGreaterThan(0);
    expect(b.frames.length).toBe(Math.min(5, b.clientCapable));
  });
});

describe('coverage: live flows', () => {
  it('evictions are counted, and an evicted link-local flow is listed with the flow that resumed it', async () => {
    const { s, send } = raw(7);
    const first = send(A, B, Proto.UDP, udp({ src: A, dst: B }, 3389, 3389, new Uint8Array(4)));
    const v4 = { src: '192.168.1.20', dst: '192.168.1.1' };
    for (let i = 0; i < 5; i++) send(v4.src, v4.dst, Proto.UDP, udp(v4, 6000 + i, 53, new Uint8Array(4)));
    send(A, B, Proto.UDP, udp({ src: A, dst: B }, 3389, 3389, new Uint8Array(4)));
    const a = await run(s, { maxFlows: 3 });
    const ll = a.flows.filter((r) => r.flow.family === 6);
    expect(ll).toHaveLength(2);
    expect(bound(a, 'flows.max').dropped).toBe(a.flowStats.evictions);
    expect(bound(a, 'flows.max').clientCapable).toBe(1);
    expect(a.coverage.carriersEnded).toEqual([{ flow: ll[0]!.flow.id, how: 'evicted', frame: first + 3, lastFrame: first, resumedBy: ll[1]!.flow.id }]);
  });
});

describe('coverage: IP-HTTPS reassembly', () => {
  it('out-of-order segments over the reassembly budget: the holes given up are counted, with their frames', async () => {
    const path = join(import.meta.dirname, '../../../fixtures/captures/iphttps-stream-edges.pcapng');
    const copy = join(dir, `c${n++}.pcapng`);
    writeFileSync(copy, readFileSync(path));
    const whole = await analyze(copy);
    expect(bound(whole, 'iphttps.reassembly')).toMatchObject({ limit: 16 * 1024 * 1024, dropped: 0 });
    const small = await analyze(copy, { limits: { reassemblyBytes: 100 } });
    const b = bound(small, 'iphttps.reassembly');
    const tunnel = small.flows.find((r) => r.flow.ipHttps !== null)!.flow.ipHttps!.stats;
    expect(b.limit).toBe(100);
    expect(b.dropped).toBe(tunnel.client.tcp.budgetOverflows + tunnel.server.tcp.budgetOverflows);
    expect(b.dropped).toBeGreaterThan(0);
    expect(b.clientCapable).toBe(b.dropped);
    expect(b.frames.length).toBeGreaterThan(0);
  });
});
