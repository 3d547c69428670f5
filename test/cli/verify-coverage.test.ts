/** Coverage decides the result (issue "Coverage" items 3–5): what a bound dropped can never turn a capture into "encrypted", exit 0. */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVerify } from '../../src/cli/verify.js';
import { NO_FILTERS } from '../../src/fleet/filters.js';
import type { VerifyReport } from '../../src/report/verify.js';
import { esp, espNullBody, Prng, Proto, tcp, TcpFlag, udp, type Bytes } from '../helpers/build.js';
import { cli } from '../helpers/cli.js';
import { editPcapng } from '../helpers/pcapng-edit.js';
import { Scenario } from '../helpers/scenario.js';
import { suiteTempDir } from '../helpers/temp.js';
import { expectSchemaValid } from '../helpers/schema.js';

const dir = suiteTempDir('da-audit-coverage-');
const A = 'fe80::8d4:1c2b:3a4d:5e6f';
const B = 'fe80::a1b2:c3d4:e5f6:789';
const T0 = 1_764_140_400;

/** A capture on client A's tunnel interface (raw IPv6), written to a file; `story` sends packets. */
function capture(name: string, seed: number, story: (send: (src: string, dst: string, proto: number, payload: Bytes) => void, rng: Prng) => void): string {
  const s = new Scenario({ t0: T0, local: [A], seed });
  const link = s.rawLink(s.interface('raw', 1));
  story((src, dst, proto, payload) => s.send(src, dst, proto, payload, link), new Prng(seed));
  const path = join(dir, name);
  writeFileSync(path, s.bytes());
  return path;
}

function verify(path: string, ...args: string[]): { code: number | null; r: VerifyReport } {
  const out = cli(['verify', '--format', 'json', ...args, path]);
  const doc = JSON.parse(out.stdout) as { files: VerifyReport[] };
  expectSchemaValid(doc);
  return { code: out.code, r: doc.files[0]! };
}

/** `encrypted` ciphertext SAs between A and B (alternate directions, 5 packets of 96 random bytes each), then an ESP-NULL SA carrying TCP. */
function manySas(encrypted: number, seed: number): string {
  return capture(`sas-${encrypted}.pcapng`, seed, (send, rng) => {
    for (let i = 0; i < encrypted; i++) {
      const [src, dst] = i % 2 === 0 ? [A, B] : [B, A];
      for (let k = 1; k <= 5; k++) send(src, dst, Proto.ESP, esp(0x10000 + i, k, rng.bytes(96)));
    }
    for (let k = 1; k <= 8; k++) {
      const seg = tcp({ src: A, dst: B }, { sport: 49500, dport: 49750, seq: 1000 * k, flags: TcpFlag.ACK | TcpFlag.PSH }, rng.bytes(40));
      send(A, B, Proto.ESP, esp(0x0eeee001, k, espNullBody(seg, Proto.TCP, 12, k)));
    }
  });
}

describe('an ESP-NULL SA behind more SAs than the per-flow bound (64)', () => {
  it('within the bound (63 ciphertext SAs first), the NULL SA is found: integrity-only, exit 1', () => {
    const { code, r } = verify(manySas(63, 41));
    expect(r.pairs.map((p) => p.verdict)).toEqual(['integrity-only']);
    expect(r.esp.filter((e) => e.verdict === 'encrypted')).toHaveLength(63);
    expect(code).toBe(1);
  });

  it('past it (64 first), the NULL SA is not judged: the pair is inconclusive, the result incomplete (exit 5), never encrypted', () => {
    const { code, r } = verify(manySas(64, 42));
    expect(r.esp.filter((e) => e.verdict === 'encrypted')).toHaveLength(64);
    expect(r.pairs.map((p) => p.verdict)).toEqual(['inconclusive']);
    expect(r.pairs[0]!.reasons.map((x) => x.code)).toContain('esp.sa_bound');
    expect(r.coverage.filter((c) => c.blocking).map((c) => [c.code, (c.facts as { id: string }).id])).toEqual([['coverage.bound', 'sa.per_flow']]);
    expect(r.result).toBe('incomplete');
    expect(code).toBe(5);
    expect(verify(manySas(64, 42), '--strict').code).toBe(1);
  });
});

describe('more finished flows than the retention bound before a clear session', () => {
  /** 12 IPv6 flows between two other hosts (DirectAccess traffic, kept up to twice the bound), then Remote Assistance in clear between A and B. */
  const path = capture('retained.pcapng', 43, (send, rng) => {
    for (let i = 0; i < 12; i++) send('2001:db8::10', '2001:db8::20', Proto.UDP, udp({ src: '2001:db8::10', dst: '2001:db8::20' }, 6000 + i, 6000, rng.bytes(8)));
    send(A, B, Proto.TCP, tcp({ src: A, dst: B }, { sport: 49500, dport: 3389, seq: 1, flags: TcpFlag.SYN }, new Uint8Array(0)));
    send(B, A, Proto.TCP, tcp({ src: B, dst: A }, { sport: 3389, dport: 49500, seq: 9, ack: 2, flags: TcpFlag.SYN | TcpFlag.ACK }, new Uint8Array(0)));
    send(A, B, Proto.TCP, tcp({ src: A, dst: B }, { sport: 49500, dport: 3389, seq: 2, ack: 10, flags: TcpFlag.ACK | TcpFlag.PSH }, rng.bytes(60)));
  });

  async function run(maxRetainedFlows?: number): Promise<{ code: number; report: VerifyReport }> {
    const out: string[] = [];
    const code = await runVerify([path], {
      format: 'json', strict: false, width: Infinity, details: false, colour: false, analyze: maxRetainedFlows ? { maxRetainedFlows } : {},
      failOn: ['clear', 'integrity-only'], jobs: 1, quiet: false, output: null, filesFrom: null, filters: NO_FILTERS, settings: {}, progress: null,
    }, (s) => out.push(s), () => {});
    return { code, report: (JSON.parse(out.join('')) as { files: VerifyReport[] }).files[0]! };
  }

  it('without the bound the clear session is found: findings, exit 1', async () => {
    const { code, report } = await run();
    expect(report.pairs.map((p) => p.verdict)).toEqual(['clear']);
    expect(code).toBe(1);
  });

  it('with a bound that drops it, the result is incomplete and names the bound: exit 5, never 0', async () => {
    const { code, report } = await run(3);
    expect(report.pairs).toEqual([]);
    const retained = report.coverage.find((c) => (c.facts as { id?: string }).id === 'flows.retained')!;
    expect(retained).toMatchObject({ code: 'coverage.bound', blocking: true });
    expect((retained.facts as { clientCapable: number }).clientCapable).toBeGreaterThan(0);
    expect(report.result).toBe('incomplete');
    expect(code).toBe(5);
  });
});

describe('what the capture tool itself reports', () => {
  /** An encrypted pair (ciphertext both ways), then the tool's Interface Statistics Block with `dropped` packets lost. */
  function withDrops(dropped: number): string {
    const s = new Scenario({ t0: T0, local: [A], seed: 77 });
    const iface = s.interface('raw', 1);
    const link = s.rawLink(iface);
    const rng = new Prng(77);
    for (let k = 1; k <= 10; k++) {
      s.send(A, B, Proto.ESP, esp(0x2000, k, rng.bytes(96)), link);
      s.send(B, A, Proto.ESP, esp(0x3000, k, rng.bytes(96)), link);
    }
    s.statistics(iface, 20 + dropped, dropped);
    const path = join(dir, `drops-${dropped}.pcapng`);
    writeFileSync(path, s.bytes());
    return path;
  }

  it('packets dropped while capturing (pcapng ISB) make an all-encrypted capture incomplete: exit 5, never 0', () => {
    const clean = verify(withDrops(0));
    expect([clean.code, clean.r.result, clean.r.pairs.map((p) => p.verdict)]).toEqual([0, 'encrypted', ['encrypted']]);
    expect(clean.r.coverage).toEqual([]);
    const lossy = verify(withDrops(3));
    expect([lossy.code, lossy.r.result, lossy.r.pairs.map((p) => p.verdict)]).toEqual([5, 'incomplete', ['encrypted']]);
    expect(lossy.r.coverage.map((c) => [c.code, c.blocking, c.facts])).toEqual([['coverage.interface_drops', true, { interfaces: [{ interface: 0, dropped: 3 }] }]]);
    expect(lossy.r.coverage[0]!.text).toContain('3 on interface 0 (pcapng Interface Statistics)');
  });

  it('frames out of time order are said, with their frames, without changing the result', () => {
    const { r } = verify('fixtures/captures/pcapng-tsresol.pcapng');
    expect(r.coverage.map((c) => [c.code, c.blocking, c.frames])).toEqual([['coverage.time_order', false, [3, 4]], ['coverage.no_client_traffic', false, []]]);
    expect(r.result).toBe('no-client-traffic');
  });
});

describe('a capture that holds one side of a connection', () => {
  /** A clear Remote Assistance connection between A and B on A's tunnel interface; `oneSide`: B's packets are cut out. */
  function connection(oneSide: boolean): { path: string; first: number } {
    const s = new Scenario({ t0: T0, local: [A], seed: 93 });
    const link = s.rawLink(s.interface('raw', 1));
    const rng = new Prng(93);
    const ra = s.tcp({ client: A, server: B, sport: 49700, dport: 3389, via: link }).open();
    for (let k = 0; k < 3; k++) ra.send(true, rng.bytes(200)).send(false, rng.bytes(300));
    const keep = new Set(s.frames.filter((f) => f.outbound || !oneSide).map((f) => f.number));
    const bytes = editPcapng(s.bytes(), { packets: (ps) => ps.filter((p) => keep.has(p.from)) });
    const path = join(dir, `one-side-${oneSide}.pcapng`);
    writeFileSync(path, bytes);
    return { path, first: 1 };
  }

  it('is said, with the connection\'s flow and first frame, beside the verdict on what was seen', () => {
    const both = verify(connection(false).path);
    expect(both.r.coverage.map((c) => c.code)).toEqual([]);
    const { path, first } = connection(true);
    const one = verify(path);
    // A's ACKs answer B's SYN-ACK: established, never "SYN unanswered" (which A's own packets would refute).
    expect(one.r.sessions.map((x) => [x.verdict, x.state])).toEqual([['clear', 'established']]);
    expect(one.r.sessions[0]!.notes.map((n) => n.code)).toContain('tcp.one_side');
    expect(one.r.coverage.map((c) => [c.code, c.blocking, c.frames])).toEqual([['coverage.one_side', false, [first]]]);
    expect(one.r.coverage[0]!.text).toMatch(/^1 TCP connection\(s\) between clients were captured in one direction only \(flows \d+\)/);
  });
});
