/** Renders `info` reports as terminal tables or JSON. */

import { VERSION } from '../version.js';
import { byteSize, count, escapeTerminal, sha256Text } from './format.js';
import { INFO_SCHEMA_VERSION, type InfoReport } from './info.js';
import { gridTable, keyValueTable, paragraph } from './table.js';

export function renderInfoJson(reports: InfoReport[]): string {
  return JSON.stringify({ schemaVersion: INFO_SCHEMA_VERSION, tool: { name: 'da-audit', version: VERSION }, files: reports }, null, 2) + '\n';
}

/** Terminal tables fitted to `width` columns (Infinity: no limit). */
export function renderInfoTable(reports: InfoReport[], width: number): string {
  return reports.map((r) => renderOne(r, width)).join('\n');
}

function renderOne(r: InfoReport, width: number): string {
  const format = r.format === null ? null
    : `${r.format}${r.formatVersion ? ` ${r.formatVersion}` : ''}${r.byteOrder ? `, ${r.byteOrder}` : ''}`;
  const sections = r.sections;
  const out: string[] = [];
  out.push(`File: ${escapeTerminal(r.file)}`);
  out.push(keyValueTable([
    ['Status', r.status === 'complete' ? 'read to the end' : r.status === 'truncated' ? 'cut short (see warnings)' : 'stopped by an error (see below)'],
    ['Format', format],
    ['Compression', r.compression],
    ['Sections', sections.length > 1 ? sections.length : undefined],
    ['Capture hardware', sections[0]?.hardware ?? undefined],
    ['Capture OS', sections[0]?.os ?? undefined],
    ['Capture application', sections[0]?.application ?? undefined],
    ['Capture comment', sections.flatMap((s) => s.comments).join(' | ') || undefined],
    ['Timestamp resolution', r.timestampResolution],
    ['Interfaces', r.interfaces.length],
    ['Packets', count(r.packets)],
    ['Other records', r.otherRecords > 0 ? `${count(r.otherRecords)} (numbered as frames, as Wireshark does)` : undefined],
    ['First packet time', r.firstPacketTime],
    ['Last packet time', r.lastPacketTime],
    ['Duration', r.durationSeconds === null ? null : `${r.durationSeconds} s`],
    ['Data size (on the wire)', byteSize(r.dataBytes)],
    ['Captured bytes', r.capturedBytes !== r.dataBytes ? byteSize(r.capturedBytes) : undefined],
    ['Average packet size', r.averagePacketSize === null ? null : `${r.averagePacketSize.toFixed(2)} bytes`],
    ['Packets cut by snaplen', r.packetsCutBySnaplen > 0 ? count(r.packetsCutBySnaplen) : undefined],
    ['Strict time order', r.strictTimeOrder],
    ['File size', byteSize(r.fileBytes)],
    ['SHA-256', sha256Text(r.sha256, r.sha256Covers, r.fileBytes)],
    ['Blocks', Object.keys(r.blocks).length > 0 ? Object.entries(r.blocks).map(([k, v]) => `${k} ${v}`).join(', ') : undefined],
    ['Name resolution entries', r.nameResolutionEntries > 0 ? r.nameResolutionEntries : undefined],
    ['Decryption secrets blocks', r.decryptionSecrets > 0 ? r.decryptionSecrets : undefined],
  ], width));
  if (r.interfaces.length > 0) {
    out.push('Interfaces');
    out.push(gridTable(['#', 'Link type', 'Snaplen', 'Name', 'Description', 'Time resolution', 'Packets'],
      r.interfaces.map((i) => [
        i.id, `${i.linkTypeName} (${i.linkType})${i.fcsLength ? `, FCS ${i.fcsLength} bytes` : ''}`, i.snaplen === 0 ? 'unlimited' : i.snaplen,
        i.name, i.description,
        `${i.timestampResolution}${i.timestampOffsetSeconds !== 0 ? `, offset ${i.timestampOffsetSeconds} s` : ''}`, count(i.packets),
      ]), width));
  }
  if (r.anomalies.length > 0) {
    out.push('Anomalies');
    out.push(gridTable(['Anomaly', 'Count', 'First frames', 'Meaning'],
      r.anomalies.map((a) => [a.id, count(a.count), a.exampleFrames.filter((f) => f > 0).join(', '), a.text]), width));
  }
  if (r.error) out.push(paragraph(`Error: byte offset ${r.error.offset}, frame ${r.error.frame}: ${r.error.message} [${r.error.code}]`, width, ''));
  return out.join('\n') + '\n';
}
