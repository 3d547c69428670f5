/** `info` report: the facts of a capture file, as capinfos gives them, as plain JSON-ready data. */

import type { CaptureResult } from '../capture/open.js';
import { linkTypeDescription, linkTypeName } from '../capture/linktypes.js';
import { describeResolution, subtractTs, type TsResolution } from '../capture/timestamp.js';
import { anomalyDef } from '../anomalies/registry.js';
import { fractionDigits, isoTime, secondsText } from './format.js';

export const INFO_SCHEMA_VERSION = 1;

export interface InfoInterface {
  id: number;
  section: number;
  linkType: number;
  linkTypeName: string;
  encapsulation: string;
  snaplen: number;
  name: string | null;
  description: string | null;
  os: string | null;
  filter: string | null;
  timestampResolution: string;
  timestampOffsetSeconds: number;
  fcsLength: number | null;
  packets: number;
  statistics: { received: number | null; dropped: number | null } | null;
}

export interface InfoAnomaly {
  id: string;
  severity: string;
  count: number;
  exampleFrames: number[];
  text: string;
}

export interface InfoProblem {
  code: string;
  message: string;
  offset: number;
  frame: number;
}

/** One file's facts. Times are ISO 8601 UTC at the resolution of the interface that produced them. */
export interface InfoReport {
  file: string;
  sha256: string | null;
  /** 'bytes read' when reading stopped early on a stream (standard input, a pipe): the hash covers fileBytes only. */
  sha256Covers: 'whole input' | 'bytes read' | null;
  fileBytes: number;
  format: string | null;
  formatVersion: string | null;
  compression: string;
  byteOrder: string | null;
  timestampResolution: string | null;
  sections: { byteOrder: string; version: string; hardware: string | null; os: string | null; application: string | null; comments: string[] }[];
  interfaces: InfoInterface[];
  /** Frames as Wireshark numbers them: packets plus custom and journal-export records. */
  frames: number;
  packets: number;
  otherRecords: number;
  firstPacketTime: string | null;
  lastPacketTime: string | null;
  durationSeconds: string | null;
  dataBytes: number;
  capturedBytes: number;
  averagePacketSize: number | null;
  packetsCutBySnaplen: number;
  strictTimeOrder: boolean | null;
  blocks: Record<string, number>;
  nameResolutionEntries: number;
  decryptionSecrets: number;
  anomalies: InfoAnomaly[];
  warnings: InfoProblem[];
  /** The fatal problem that stopped reading; null when the file was read to its end. */
  error: InfoProblem | null;
  /** complete: read to the end; truncated: ends inside a record; failed: a fatal problem stopped reading. */
  status: 'complete' | 'truncated' | 'failed';
}

function sameResolution(a: TsResolution, b: TsResolution): boolean {
  return a.base === b.base && a.exponent === b.exponent;
}

export function buildInfo(r: CaptureResult): InfoReport {
  const s = r.stats;
  // A time from a non-packet record (interface -1) is a journal entry's, in microseconds.
  const timeAt = (sec: number, nsec: number, iface: number): string => {
    const res = r.interfaces[iface]?.tsResolution;
    return isoTime(sec, nsec, res ? fractionDigits(res) : 6);
  };
  const resolutions = r.interfaces.map((i) => i.tsResolution);
  const firstRes = resolutions[0];
  const timestampResolution = firstRes === undefined ? null
    : resolutions.every((x) => sameResolution(x, firstRes)) ? describeResolution(firstRes) : 'per interface';
  const orders = new Set(r.sections.map((x) => x.littleEndian));
  const byteOrder = orders.size === 0 ? null : orders.size > 1 ? 'mixed' : orders.has(true) ? 'little-endian' : 'big-endian';
  const section0 = r.sections[0];
  const formatVersion = section0 ? `${section0.versionMajor}.${section0.versionMinor}` : null;
  const duration = s.timedRecords > 0 ? subtractTs(s.latestSec, s.latestNsec, s.earliestSec, s.earliestNsec) : null;
  const truncated = r.warnings.some((w) => anomalyDef(w.code).kind === 'truncated');
  return {
    file: r.file,
    sha256: r.sha256,
    sha256Covers: r.sha256Covers,
    fileBytes: r.fileBytes,
    format: r.format === null ? null : r.pcapHeader?.modified ? 'pcap (modified, Kuznetzov)' : r.format,
    formatVersion,
    compression: r.compression,
    byteOrder,
    timestampResolution,
    sections: r.format === 'pcapng' ? r.sections.map((x) => ({
      byteOrder: x.littleEndian ? 'little-endian' : 'big-endian', version: `${x.versionMajor}.${x.versionMinor}`,
      hardware: x.hardware, os: x.os, application: x.application, comments: x.comments,
    })) : [],
    interfaces: r.interfaces.map((i) => {
      const st = r.interfaceStats.get(i.id);
      return {
        id: i.id, section: i.section, linkType: i.linkType, linkTypeName: linkTypeName(i.linkType),
        encapsulation: linkTypeDescription(i.linkType), snaplen: i.snaplen, name: i.name, description: i.description,
        os: i.os, filter: i.filter, timestampResolution: describeResolution(i.tsResolution), timestampOffsetSeconds: i.tsOffset,
        fcsLength: i.fcsLen >= 0 ? i.fcsLen : null, packets: i.packets,
        statistics: st ? { received: st.received, dropped: st.dropped } : null,
      };
    }),
    frames: s.packets + s.otherRecords,
    packets: s.packets,
    otherRecords: s.otherRecords,
    firstPacketTime: s.timedRecords > 0 ? timeAt(s.earliestSec, s.earliestNsec, s.earliestIface) : null,
    lastPacketTime: s.timedRecords > 0 ? timeAt(s.latestSec, s.latestNsec, s.latestIface) : null,
    durationSeconds: duration ? secondsText(duration.sec, duration.nsec) : null,
    dataBytes: s.wireBytes,
    capturedBytes: s.capturedBytes,
    averagePacketSize: s.packets > 0 ? Math.round((s.wireBytes / s.packets) * 100) / 100 : null,
    packetsCutBySnaplen: s.cutPackets,
    strictTimeOrder: s.timedRecords > 0 ? s.strictTimeOrder : null,
    blocks: { ...r.blockCounts },
    nameResolutionEntries: r.names.length,
    decryptionSecrets: r.blockCounts['DSB'] ?? 0,
    anomalies: r.anomalies.list().map((a) => ({ id: a.def.id, severity: a.def.severity, count: a.count, exampleFrames: a.frames, text: a.def.text })),
    warnings: r.warnings.map((w) => ({ code: anomalyDef(w.code).id, message: w.detail, offset: w.position.offset, frame: w.position.frame })),
    error: r.error ? { code: r.error.code, message: r.error.detail, offset: r.error.position.offset, frame: r.error.position.frame } : null,
    status: r.error ? 'failed' : truncated ? 'truncated' : 'complete',
  };
}
