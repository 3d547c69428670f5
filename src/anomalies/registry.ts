/** Anomaly registry: numeric code → stable id `layer.snake_case`, kind, severity, text (architecture §3, §4). */

export type AnomalyKind = 'truncated' | 'malformed' | 'unsupported' | 'suspicious';
export type AnomalySeverity = 'high' | 'medium' | 'low' | 'info';

export interface AnomalyDef {
  readonly code: number;
  /** Stable forever: deprecate, never rename. */
  readonly id: string;
  readonly layer: string;
  readonly kind: AnomalyKind;
  readonly severity: AnomalySeverity;
  readonly text: string;
}

/** Numeric codes used on the hot path. */
export const A = {
  CaptureRecordExceedsSnaplen: 1,
  CaptureCaplenExceedsWirelen: 2,
  CaptureFileTruncated: 3,
  CaptureGzipTruncated: 4,
  CaptureTimestampFractionOutOfRange: 5,
  CaptureUnknownBlockSkipped: 6,
  CaptureTimeWentBackwards: 7,
} as const;
export type AnomalyCode = (typeof A)[keyof typeof A];

const DEFS: readonly AnomalyDef[] = [
  { code: A.CaptureRecordExceedsSnaplen, id: 'capture.record_exceeds_snaplen', layer: 'capture', kind: 'malformed', severity: 'low',
    text: 'A record holds more bytes than the snapshot length of its interface; it is read whole.' },
  { code: A.CaptureCaplenExceedsWirelen, id: 'capture.caplen_exceeds_wirelen', layer: 'capture', kind: 'malformed', severity: 'low',
    text: 'A record claims more captured bytes than the packet had on the wire.' },
  { code: A.CaptureFileTruncated, id: 'capture.file_truncated', layer: 'capture', kind: 'truncated', severity: 'medium',
    text: 'The file ends inside a record; the partial record is dropped and every record before it is kept.' },
  { code: A.CaptureGzipTruncated, id: 'capture.gzip_truncated', layer: 'capture', kind: 'truncated', severity: 'medium',
    text: 'The gzip stream ends before its end marker; everything decompressed before is kept.' },
  { code: A.CaptureTimestampFractionOutOfRange, id: 'capture.timestamp_fraction_out_of_range', layer: 'capture', kind: 'malformed', severity: 'low',
    text: 'A pcap record has a sub-second field of a second or more (≥ 10^6 µs or ≥ 10^9 ns); the carry is added to the seconds.' },
  { code: A.CaptureUnknownBlockSkipped, id: 'capture.unknown_block_skipped', layer: 'capture', kind: 'unsupported', severity: 'info',
    text: 'A pcapng block of an unknown type was skipped by its length.' },
  { code: A.CaptureTimeWentBackwards, id: 'capture.time_went_backwards', layer: 'capture', kind: 'suspicious', severity: 'info',
    text: 'A packet is timestamped earlier than the packet before it (the file is not in strict time order).' },
];

/** One more than the largest code; sizes the recorder's typed arrays. */
export const ANOMALY_CODE_LIMIT = Math.max(...DEFS.map((d) => d.code)) + 1;

const BY_CODE: (AnomalyDef | undefined)[] = [];
for (const d of DEFS) {
  if (BY_CODE[d.code]) throw new Error(`duplicate anomaly code ${d.code}`);
  BY_CODE[d.code] = d;
}

export function anomalyDef(code: number): AnomalyDef {
  const d = BY_CODE[code];
  if (!d) throw new Error(`unknown anomaly code ${code}`);
  return d;
}

export function allAnomalies(): readonly AnomalyDef[] {
  return DEFS;
}
