/** `verify` report: one verdict per client-to-client session and per client pair, with coded reasons and evidence frames (schemaVersion 2). */

import type { Analysis } from '../analyze.js';
import { REASONS, type Reason } from '../classify/reasons.js';
import { fixOf } from '../rules/remedies.js';
import type { AuditResult, Endpoint, Verdict, VerdictRecord } from '../rules/types.js';
import { hex32 } from '../util/bytes.js';
import { VERSION } from '../version.js';
import { checkOf, type Check } from './check.js';
import { addressText } from './format.js';
import { buildInfo } from './info.js';

export const VERIFY_SCHEMA_VERSION = 2;

export interface EndpointJson {
  address: string;
  port: number | null;
  names: string[];
  class: string;
  role: string;
}

/** A coded statement: `text` is rendered from `code` and `facts` (docs/verdicts.md lists every code). */
export interface ReasonJson {
  code: string;
  text: string;
  frames: number[];
  facts: object;
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
  /** The SPIs of the ESP and AH SAs that carry any of the record's traffic ("0x1a2b3c4d"), both directions. */
  spis: string[];
  reasons: ReasonJson[];
  /** Facts beside the verdict; one that calls for action (a Packet Too Big on the path) carries its fix. */
  notes: (ReasonJson & { fix?: { code: string; text: string } })[];
  /** For a verdict other than encrypted: the statement that names why. */
  cause: ReasonJson | null;
  /** What to change, for the cause's code (rules/remedies.ts); null for `encrypted` or a cause with no fix. */
  fix: { code: string; text: string } | null;
  /** The commands that show the cause: tshark on this capture, Windows on the live client. */
  check: Check | null;
  frames: { first: number; last: number; deciding: number[] };
  evidence: { frame: number; what: string }[];
  negotiations: { protocol: string; initiator: string; outcome: string; reason: ReasonJson; authMethods: string[]; frames: number[] }[];
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
  /** What the capture adds up to (rules/types.ts AuditResult). */
  result: AuditResult;
  totals: Record<Verdict, number>;
  /** Every fact of the DirectAccess context inferred from the capture. */
  assumptions: ReasonJson[];
  /** What was out of sight; a blocking item makes the result `incomplete`. */
  coverage: (ReasonJson & { blocking: boolean })[];
  /** Why a transition link (IP-HTTPS, Teredo, 6to4) did not come up, each with its fix and check (rules/link.ts). */
  link: (ReasonJson & { fix: { code: string; text: string } | null; check: Check })[];
  /** Every bound of the analysis (docs/cli.md "Bounds"), with what it dropped, 0 included. */
  bounds: { id: string; limit: number; dropped: number; clientCapable: number; frames: number[] }[];
  /** Every endpoint whose role the capture shows. */
  roles: { address: string; role: string; basis: string; frames: number[] }[];
  sessions: RecordJson[];
  pairs: RecordJson[];
  isolation: { a: EndpointJson; b: EndpointJson; protocol: string; what: string; frames: number[]; flow: number; copyFlows: number[] }[];
  esp: { flow: number; copyFlows: number[]; spi: string; verdict: string; confidence: string; reasons: ReasonJson[]; decidingFrames: number[]; icvLength: number | null; completeSamples: number; cutSamples: number; chiSquare: number | null }[];
}

/** A record's SPIs as numbers (the report writes them in `spis`, "0x1a2b3c4d"). */
export function recordSpis(r: RecordJson): number[] {
  return r.spis.map((s) => Number.parseInt(s.slice(2), 16));
}

function reasonJson(r: Reason): ReasonJson {
  return { code: r.code, text: r.text, frames: r.frames, facts: r.facts };
}

const VERDICTS: Verdict[] = ['encrypted', 'integrity-only', 'clear', 'failed', 'inconclusive'];

/** Records by verdict, every kind present (0 included). */
export function countVerdicts(records: readonly { verdict: Verdict }[]): Record<Verdict, number> {
  const totals = Object.fromEntries(VERDICTS.map((x) => [x, 0])) as Record<Verdict, number>;
  for (const r of records) totals[r.verdict]++;
  return totals;
}

export function buildVerify(a: Analysis): VerifyReport {
  const v = a.verdicts;
  const info = buildInfo(a.capture);
  const endpoint = (e: Endpoint, withPort: boolean): EndpointJson => ({
    address: addressText(e.address), port: withPort && e.port > 0 ? e.port : null, names: a.names.names(e.address).map((n) => n.name), class: e.cls, role: e.role,
  });
  const record = (r: VerdictRecord): RecordJson => ({
    kind: r.kind, verdict: r.verdict, a: endpoint(r.a, r.kind === 'session'), b: endpoint(r.b, r.kind === 'session'),
    protocol: r.protocol || null, service: r.service, state: r.state,
    path: r.path.map((p) => p.replace(/^ipv6 link-local$/, 'ipv6 fe80::')).join(' → '), spis: r.spis.map(hex32),
    reasons: r.reasons.map(reasonJson), notes: r.notes.map((n) => {
      // Only a note of its own kind calls for action; a state note (a reset after a clear session) does not.
      const fix = REASONS[n.code].kind === 'note' ? fixOf(n, { linkLocal: false }) : null;
      return fix ? { ...reasonJson(n), fix } : reasonJson(n);
    }), cause: r.cause ? reasonJson(r.cause) : null,
    fix: r.cause ? fixOf(r.cause, { linkLocal: r.a.cls === 'link-local' && r.b.cls === 'link-local' }) : null,
    check: r.cause ? checkOf(a.capture.file, [...r.cause.frames, ...r.decidingFrames], r.cause.code, r.path.some((p) => p.includes('ip-https'))) : null,
    frames: { first: r.firstFrame, last: r.lastFrame, deciding: r.decidingFrames },
    evidence: r.evidence,
    negotiations: r.negotiations.map((n) => ({ protocol: n.protocol, initiator: addressText(n.initiator), outcome: n.outcome, reason: reasonJson(n.reason), authMethods: n.authMethods, frames: n.frames })),
  });
  const sessions = v.sessions.map(record);
  const pairs = v.pairs.map(record);
  const totals = countVerdicts([...sessions, ...pairs]);
  return {
    file: a.capture.file, sha256: a.capture.sha256, sha256Covers: a.capture.sha256Covers, fileBytes: a.capture.fileBytes, status: info.status, packets: info.packets,
    firstPacketTime: info.firstPacketTime, lastPacketTime: info.lastPacketTime, result: v.result, totals,
    assumptions: a.assumptions.map(reasonJson),
    coverage: v.coverage.map((c) => ({ ...reasonJson(c.reason), blocking: c.blocking })),
    link: v.link.map((l) => ({ ...reasonJson(l), fix: fixOf(l, { linkLocal: false }), check: checkOf(a.capture.file, l.frames, l.code, false) })),
    bounds: a.coverage.bounds.map((b) => ({ id: b.id, limit: b.limit, dropped: b.dropped, clientCapable: b.clientCapable, frames: b.frames })),
    roles: a.roles.entries().map(({ address, fact }) => ({ address: addressText(address), role: fact.role, basis: fact.basis, frames: fact.frames })),
    sessions, pairs,
    isolation: v.isolation.map((i) => ({ a: endpoint(i.a, true), b: endpoint(i.b, true), protocol: i.protocol, what: i.what, frames: i.frames, flow: i.flow, copyFlows: i.copyFlows })),
    esp: v.esp.map((e) => ({
      flow: e.flow, copyFlows: e.copyFlows, spi: hex32(e.spi), verdict: e.judgement.verdict, confidence: e.judgement.confidence,
      reasons: e.judgement.reasons.map(reasonJson), decidingFrames: e.judgement.decidingFrames, icvLength: e.judgement.reading?.icvLength ?? null,
      completeSamples: e.judgement.completeSamples, cutSamples: e.judgement.cutSamples, chiSquare: e.judgement.chiSquare,
    })),
  };
}

export function verifyDocument(reports: VerifyReport[]): object {
  return { schemaVersion: VERIFY_SCHEMA_VERSION, tool: { name: 'da-audit', version: VERSION }, files: reports };
}
