/** report.json's shape (the verify JSON plus the bundle's facts) and the facts every bundle file derives from a record. */

import type { AnalyzeOptions } from '../analyze.js';
import { DEFAULT_FLOW_OPTIONS } from '../flow/flow-tracker.js';
import type { InfoReport } from '../report/info.js';
import type { RecordJson, VerifyReport } from '../report/verify.js';

/** The analysis options a bundle records: every one, defaults included, so that a re-run needs nothing else. */
export interface RecordedOptions {
  daServers: string[];
  daPrefixes: string[];
  ipHttpsPrefixes: string[];
  nat64Prefixes: string[];
  raPorts: number[];
  maxFlows: number;
  flowIdleSec: number;
}

export interface InputJson {
  /** The name in the bundle (SHA256SUMS lists it under inputs/): the file's own name, made safe for every medium. */
  name: string;
  bytes: number;
  sha256: string;
  /** The capture's facts, as `da-audit info` states them (with `file` set to the bundle name). */
  capture: InfoReport;
}

/** report.json: the `verify` JSON document (schemaVersion 2) plus what a reviewer needs to reproduce it. */
export interface EvidenceDocument {
  schemaVersion: number;
  tool: { name: string; version: string };
  evidence: {
    /** ISO 8601 UTC time of the run, only with --timestamp: without it two runs give the same bytes. */
    generated: string | null;
    options: RecordedOptions;
    inputs: InputJson[];
  };
  files: VerifyReport[];
}

export function recordOptions(o: AnalyzeOptions): RecordedOptions {
  return {
    daServers: o.daServers ?? [], daPrefixes: o.daPrefixes ?? [], ipHttpsPrefixes: o.ipHttpsPrefixes ?? [], nat64Prefixes: o.nat64Prefixes ?? [],
    raPorts: o.raPorts ?? [], maxFlows: o.maxFlows ?? DEFAULT_FLOW_OPTIONS.maxFlows, flowIdleSec: o.flowIdleSec ?? DEFAULT_FLOW_OPTIONS.idleSec,
  };
}

/** The frames whose copies prove a record: its deciding frames, or, when none decided it (no traffic to judge), its evidence frames. */
export function proofFrames(r: RecordJson): number[] {
  return r.frames.deciding.length > 0 ? r.frames.deciding : r.evidence.map((e) => e.frame);
}

/** The reason codes of a record: its cause first, then every reason. */
export function reasonCodes(r: RecordJson): string[] {
  return [...new Set([...(r.cause ? [r.cause.code] : []), ...r.reasons.map((x) => x.code)])];
}
