/** `verify` report: one verdict per client-to-client session and per client pair, with evidence frames (schemaVersion 1). */

import type { Analysis } from '../analyze.js';
import { classifyAddress } from '../classify/prefixes.js';
import type { CaptureJudgement, VerifyResult } from '../rules/verdicts.js';
import type { Endpoint, Verdict, VerdictRecord } from '../rules/types.js';
import { VERSION } from '../version.js';
import { addressText } from './format.js';
import { buildInfo } from './info.js';

export const VERIFY_SCHEMA_VERSION = 1;

export interface EndpointJson {
  address: string;
  port: number | null;
  names: string[];
  class: string;
}

export interface RecordJson {
  kind: 'session' | 'pair';
  verdict: Verdict;
  a: EndpointJson;
  b: EndpointJson;
  protocol: string | null;
  service: { name: string; basis: string; frames: number[] };
  state: string | null;
  path: string;
  reasons: string[];
  notes: string[];
  frames: { first: number; last: number; deciding: number[] };
  evidence: { frame: number; what: string }[];
  negotiations: { protocol: string; initiator: string; outcome: string; reason: string; authMethods: string[]; frames: number[] }[];
}

export interface VerifyReport {
  file: string;
  sha256: string | null;
  /** See InfoReport.sha256Covers. */
  sha256Covers: 'whole input' | 'bytes read' | null;
  fileBytes: number;
  status: string;
  packets: number;
  firstPacketTime: string | null;
  lastPacketTime: string | null;
  totals: Record<Verdict, number>;
  sessions: RecordJson[];
  pairs: RecordJson[];
  isolation: { a: EndpointJson; b: EndpointJson; protocol: string; what: string; frames: number[]; flow: number; copyFlows: number[] }[];
  capture: CaptureJudgement[];
  esp: { flow: number; copyFlows: number[]; spi: string; verdict: string; confidence: string; reasons: string[]; decidingFrames: number[]; icvLength: number | null; completeSamples: number; cutSamples: number; chiSquare: number | null }[];
}

const VERDICTS: Verdict[] = ['encrypted', 'integrity-only', 'clear', 'failed', 'inconclusive'];

export function buildVerify(a: Analysis, v: VerifyResult): VerifyReport {
  const info = buildInfo(a.capture);
  const endpoint = (e: Endpoint, withPort: boolean): EndpointJson => ({
    address: addressText(e.address), port: withPort && e.port > 0 ? e.port : null, names: a.names.names(e.address).map((n) => n.name),
    class: classifyAddress(e.address, 0, a.prefixes),
  });
  const record = (r: VerdictRecord): RecordJson => ({
    kind: r.kind, verdict: r.verdict, a: endpoint(r.a, r.kind === 'session'), b: endpoint(r.b, r.kind === 'session'),
    protocol: r.protocol || null, service: r.service, state: r.state,
    path: r.path.map((p) => p.replace(/^ipv6 link-local$/, 'ipv6 fe80::')).join(' → '),
    reasons: r.reasons, notes: r.notes, frames: { first: r.firstFrame, last: r.lastFrame, deciding: r.decidingFrames },
    evidence: r.evidence,
    negotiations: r.negotiations.map((n) => ({ protocol: n.protocol, initiator: addressText(n.initiator), outcome: n.outcome, reason: n.reason, authMethods: n.authMethods, frames: n.frames })),
  });
  const sessions = v.sessions.map(record);
  const pairs = v.pairs.map(record);
  const totals = Object.fromEntries(VERDICTS.map((x) => [x, 0])) as Record<Verdict, number>;
  for (const r of [...sessions, ...pairs]) totals[r.verdict]++;
  for (const c of v.capture) totals[c.verdict]++;
  return {
    file: a.capture.file, sha256: a.capture.sha256, sha256Covers: a.capture.sha256Covers, fileBytes: a.capture.fileBytes, status: info.status, packets: info.packets,
    firstPacketTime: info.firstPacketTime, lastPacketTime: info.lastPacketTime, totals, sessions, pairs,
    isolation: v.isolation.map((i) => ({ a: endpoint(i.a, true), b: endpoint(i.b, true), protocol: i.protocol, what: i.what, frames: i.frames, flow: i.flow, copyFlows: i.copyFlows })),
    capture: v.capture,
    esp: v.esp.map((e) => ({
      flow: e.flow, copyFlows: e.copyFlows, spi: `0x${e.spi.toString(16).padStart(8, '0')}`, verdict: e.judgement.verdict, confidence: e.judgement.confidence,
      reasons: e.judgement.reasons, decidingFrames: e.judgement.decidingFrames, icvLength: e.judgement.reading?.icvLength ?? null,
      completeSamples: e.judgement.completeSamples, cutSamples: e.judgement.cutSamples, chiSquare: e.judgement.chiSquare,
    })),
  };
}

export function verifyDocument(reports: VerifyReport[]): object {
  return { schemaVersion: VERIFY_SCHEMA_VERSION, tool: { name: 'da-audit', version: VERSION }, files: reports };
}
