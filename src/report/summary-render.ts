/** Renders summary reports as terminal tables, Markdown or JSON, from one list of sections. */

import { byteSize, count, sha256Text } from './format.js';
import { renderSectionsMarkdown, renderSectionsTable, type Section } from './sections.js';
import { summaryDocument, type AddressRef, type SummaryReport } from './summary.js';

function who(a: AddressRef & { port?: number }, withPort = true): string {
  const name = a.names.length > 0 ? ` (${a.names[0]})` : '';
  const port = withPort && a.port !== undefined && a.port > 0 ? ` port ${a.port}` : '';
  return `${a.address}${name}${port}`;
}

function frames(list: number[]): string {
  return list.length === 0 ? '' : `frame${list.length > 1 ? 's' : ''} ${list.join(', ')}`;
}

/**
 * Negotiations listed in the table and Markdown: all of them up to TABLE_NEGOTIATIONS; beyond, every one that did
 * not complete (up to the bound) and as many completed ones as fit, in report order. Why a bound: a capture with
 * 10,000 tracked negotiations made a 50,000-line table that took seconds and hundreds of MB to lay out, and
 * nobody reads it; JSON keeps every one.
 */
const TABLE_NEGOTIATIONS = 200;

function negotiationsShown<T extends { outcome: string }>(all: T[]): T[] {
  if (all.length <= TABLE_NEGOTIATIONS) return all;
  const open = all.filter((n) => n.outcome !== 'complete').slice(0, TABLE_NEGOTIATIONS);
  let room = TABLE_NEGOTIATIONS - open.length;
  const keep = new Set(open);
  return all.filter((n) => keep.has(n) || (n.outcome === 'complete' && room-- > 0));
}

export function summarySections(r: SummaryReport): Section[] {
  const c = r.capture;
  const sections: Section[] = [];
  sections.push({
    title: 'Capture', head: null, rows: [
      ['Format', `${c.format ?? '?'} ${c.formatVersion ?? ''}${c.compression !== 'none' ? `, ${c.compression}` : ''}`],
      ['Interfaces', c.interfaces.map((i) => `${i.id}: ${i.linkTypeName}${i.name ? ` "${i.name}"` : ''}`).join('; ')],
      ['Packets', count(c.packets)],
      ['First / last packet', `${c.firstPacketTime ?? '—'} / ${c.lastPacketTime ?? '—'}`],
      ['Duration', c.durationSeconds === null ? null : `${c.durationSeconds} s`],
      ['Data size', byteSize(c.dataBytes)],
      ['SHA-256', sha256Text(c.sha256, c.sha256Covers, c.fileBytes)],
      ['Status', c.status === 'complete' ? 'read to the end' : c.status === 'truncated' ? 'cut short' : `stopped: ${c.error?.message ?? ''}`],
    ],
  });
  const prefixRows = [
    ...r.prefixes.ipHttps.map((p) => ['IP-HTTPS clients', p.prefix, p.source]),
    ...r.prefixes.directAccess.map((p) => ['DirectAccess', p.prefix, p.source]),
    ...r.prefixes.nat64.map((p) => ['NAT64', p.prefix, p.source]),
  ];
  if (prefixRows.length > 0) sections.push({ title: 'DirectAccess prefixes', head: ['Kind', 'Prefix', 'Source'], rows: prefixRows });
  sections.push({
    title: 'Traffic classes', head: ['Class', 'Packets', 'Bytes', 'Flows'],
    rows: r.trafficClasses.filter((t) => t.flows > 0).map((t) => [t.class, count(t.packets), count(t.bytes), count(t.flows)]),
    notes: ['A tunnelled packet counts twice: in its carrier\'s row (IP-HTTPS, Teredo, 6to4, ISATAP) and in the row of what it carries.'],
  });
  sections.push({
    title: 'DirectAccess servers', head: ['Role', 'Address', 'Certificate / SNI', 'TLS', 'First frame'],
    rows: r.servers.map((s) => [
      s.role, who({ ...s.endpoint, port: s.port ?? 0 }),
      [s.certificate ? `${s.certificate.subject} (issuer ${s.certificate.issuer}; frame ${s.certificate.frame})` : null, s.sni ? `SNI ${s.sni}` : null].filter(Boolean).join('; ') || null,
      s.cipherSuite ? `${s.cipherSuite}${s.nullCipher ? ' (NULL encryption)' : ''}${s.ipHttpsAuthMode ? `; client authentication: ${s.ipHttpsAuthMode}` : ''}` : null,
      s.firstFrame,
    ]),
    empty: 'no IP-HTTPS, Teredo, 6to4 or ISATAP server seen',
  });
  sections.push({
    title: 'DirectAccess clients and their peers', head: ['Address', 'Role', 'Class', 'Transition', 'Embedded', 'Flows', 'Packets', 'First frame'],
    rows: r.clients.map((k) => [who(k.endpoint, false), k.role, k.endpoint.class, k.transitions.join(', '), k.embedded, k.flows, count(k.packets), k.firstFrame]),
    empty: 'no DirectAccess client traffic seen',
  });
  sections.push({
    title: 'Transition evidence', head: ['Flow', 'Technology', 'Client → server', 'Why'],
    rows: r.transitions.map((t) => [t.flow, `${t.transition} (${t.confidence})`, `${who(t.client)} → ${who(t.server)}`,
      t.reasons.map((x) => `${x.text} [${frames(x.frames)}]`).join('; ')]),
    empty: 'no transition technology seen',
  });
  sections.push({
    title: 'IPsec security associations', head: ['Protocol', 'SPI', 'From → to', 'Carried by', 'Packets', 'Bytes', 'Frames'],
    rows: r.ipsecSas.map((s) => [s.protocol, s.spi, `${who(s.from, false)} → ${who(s.to, false)}`, s.carriedBy, count(s.packets), count(s.bytes), `${s.firstFrame}–${s.lastFrame}`]),
    empty: 'no ESP or AH',
  });
  const shown = negotiationsShown(r.negotiations);
  const hidden = r.negotiations.length - shown.length;
  const hiddenOpen = r.negotiations.filter((n) => n.outcome !== 'complete').length - shown.filter((n) => n.outcome !== 'complete').length;
  sections.push({
    title: 'IKE / AuthIP negotiations', head: ['Protocol', 'Initiator → responder', 'Exchanges', 'Authentication', 'Outcome'],
    notes: hidden > 0 ? [`${count(hidden)} more negotiation(s) are not listed here (${count(hiddenOpen)} of them did not complete); --format json lists all ${count(r.negotiations.length)}.`] : [],
    rows: shown.map((n) => [
      n.protocol, `${who(n.initiator)} → ${who(n.responder)}`,
      n.exchanges.map((e) => `${e.frame} ${e.direction} ${e.exchange}${e.encrypted ? ' [E]' : ''}`),
      n.authMethods.join(', ') || null,
      `${n.outcome}: ${n.reason}`,
    ]),
    empty: 'no IKE or AuthIP',
  });
  sections.push({
    title: 'Top conversations', head: ['Flow', 'A', 'B', 'Protocol', 'Via', 'Packets', 'Bytes', 'Frames'],
    rows: r.topConversations.map((t) => [t.flow, who(t.a), who(t.b), t.protocol, t.transition, count(t.packets), count(t.bytes), `${t.firstFrame}–${t.lastFrame}`]),
  });
  const fs = r.flowStats;
  sections.push({
    title: 'Flows', head: null, rows: [
      ['Flows', count(fs.created)],
      ['Kept for this report', count(fs.retained)],
      ['Counted only (over the retention bound)', fs.summarizedOnly > 0 ? count(fs.summarizedOnly) : undefined],
      ['Evicted (live-flow bound reached)', fs.evictions > 0 ? `${count(fs.evictions)} (bound ${count(fs.maxFlows)} live flows)` : undefined],
      ['Expired (idle)', fs.expirations > 0 ? count(fs.expirations) : undefined],
      ['Peak live flows', count(fs.peakLive)],
      ['Packets captured twice (on two interfaces), counted once', fs.copies > 0 ? count(fs.copies) : undefined],
      ['IKE messages counted only (negotiation bound reached)', r.negotiationBound.messagesNotTracked > 0
        ? `${count(r.negotiationBound.messagesNotTracked)} (bound ${count(r.negotiationBound.bound)} negotiations)` : undefined],
    ].filter((x) => x[1] !== undefined),
  });
  if (c.anomalies.length > 0) {
    sections.push({
      title: 'Anomalies', head: ['Anomaly', 'Count', 'First frames'],
      rows: c.anomalies.map((a) => [a.id, count(a.count), a.exampleFrames.filter((x) => x > 0).join(', ')]),
    });
  }
  return sections;
}

export function renderSummaryTable(reports: SummaryReport[], width: number): string {
  return reports.map((r) => renderSectionsTable(`DirectAccess summary: ${r.file}`, summarySections(r), width)).join('\n');
}

export function renderSummaryMarkdown(reports: SummaryReport[]): string {
  return reports.map((r) => renderSectionsMarkdown(`DirectAccess summary: ${r.file}`, summarySections(r))).join('\n');
}

export function renderSummaryJson(reports: SummaryReport[]): string {
  return JSON.stringify(summaryDocument(reports), null, 2) + '\n';
}
