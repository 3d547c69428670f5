/** Public API of da-audit: analyze() and its verdicts, the capture reader and writers (docs/architecture.md, "Library use"). */

export { analyze, type Analysis, type AnalyzeOptions } from './analyze.js';
export type { VerifyResult } from './rules/verdicts.js';
export type { AuditResult, Verdict, VerdictRecord, Endpoint, IsolationFinding, NegotiationLink, Reason, Service, SessionState } from './rules/types.js';
export { REASONS, type ReasonCode } from './classify/reasons.js';
export type { Role, RoleFact } from './classify/roles.js';
export type { Coverage, BoundHit } from './flow/coverage.js';

export { readCapture, type CaptureResult, type ReadOptions, type FrameSink } from './capture/open.js';
export { Frame, RecordKind, Direction, type CaptureInterface, type CaptureSection } from './capture/frame.js';
export { PcapWriter, PcapngWriter, MemorySink } from './capture/writer.js';
export { buildInfo, type InfoReport } from './report/info.js';
export { CaptureError, CaptureErrorCode, UsageError, InternalError } from './util/errors.js';
export { VERSION } from './version.js';
