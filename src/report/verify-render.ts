/** Renders verify reports as terminal tables, Markdown or JSON, from one list of sections. */

import type { Verdict } from '../rules/types.js';
import { sha256Text } from './format.js';
import { renderSectionsMarkdown, renderSectionsTable, type Cell, type Section } from './sections.js';
import { briefOf, endText, renderBriefMarkdown, renderBriefTerminal, RESULT, SEVERITY, totalsText } from './verify-brief.js';
import { verifyDocument, type EndpointJson, type RecordJson, type VerifyReport } from './verify.js';

const who = (e: EndpointJson): string => endText(e, true, ' ');

function frames(r: RecordJson): string {
  return `first ${r.frames.first}, last ${r.frames.last}${r.frames.deciding.length > 0 ? `; deciding ${r.frames.deciding.slice(0, 8).join(', ')}` : ''}`;
}

function recordRow(r: RecordJson): Cell[] {
  return [
    r.verdict.toUpperCase(),
    [who(r.a), `→ ${who(r.b)}`, ...(r.protocol ? [r.protocol] : [])],
    [r.service.name, ...(r.state ? [`(${r.state})`] : [])],
    r.path,
    [...r.reasons.map((x) => x.text), ...r.notes.map((n) => `note: ${n.text}`)],
    frames(r),
  ];
}

export function verifySections(r: VerifyReport): Section[] {
  const t = r.totals;
  const sections: Section[] = [{
    title: 'Result', head: null, rows: [
      ['Packets', r.packets],
      ['First / last packet', `${r.firstPacketTime ?? '—'} / ${r.lastPacketTime ?? '—'}`],
      ['SHA-256', sha256Text(r.sha256, r.sha256Covers, r.fileBytes)],
      ['Status', r.status],
      ['Result', RESULT[r.result].join(': ')],
      ['Verdicts', `${t.encrypted} encrypted, ${t['integrity-only']} integrity-only, ${t.clear} clear, ${t.failed} failed, ${t.inconclusive} inconclusive`],
    ],
  }];
  if (r.link.length > 0) {
    sections.push({
      title: 'Links: why a transition technology did not come up', head: ['Code', 'What', 'Fix', 'Frames'],
      rows: r.link.map((l) => [l.code, l.text, l.fix?.text ?? '—', l.frames.join(', ')]),
    });
  }
  if (r.assumptions.length > 0) {
    sections.push({ title: 'Assumptions (the DirectAccess context, inferred from the capture)', head: ['Code', 'Assumption', 'Frames'], rows: r.assumptions.map((x) => [x.code, x.text, x.frames.join(', ')]) });
  }
  const head = ['Verdict', 'Endpoints', 'Service', 'Protection path', 'Why', 'Frames'];
  // An empty section must not read as a clean result: say what was (not) seen.
  const anyPair = r.pairs.length > 0;
  sections.push({
    title: 'Sessions between DirectAccess clients', head, rows: r.sessions.map(recordRow),
    empty: anyPair ? 'no session between clients can be seen one by one (ESP hides ports and payload); the pairs below are judged as a whole' : 'no session between clients is visible in this capture',
  });
  sections.push({ title: 'Client pairs (all traffic between two clients)', head, rows: r.pairs.map(recordRow), empty: 'no traffic between DirectAccess clients in this capture' });
  if (r.coverage.length > 0) {
    sections.push({
      title: 'Coverage: what this capture does not show', head: ['Code', 'What', 'Frames'],
      rows: r.coverage.map((c) => [`${c.code}${c.blocking ? ' (incomplete)' : ''}`, c.text, c.frames.join(', ')]),
    });
  }
  sections.push({
    title: 'Isolation policy: unprotected unicast link-local traffic between clients', head: ['Flow', 'Endpoints', 'What', 'Frames'],
    rows: r.isolation.map((i) => [i.flow, `${who(i.a)} → ${who(i.b)}`, i.what, i.frames.join(', ')]),
    empty: anyPair ? 'none: all unicast link-local traffic seen between clients (neighbour discovery and IKE/AuthIP excepted) is IPsec-protected' : 'none found: no unicast traffic between clients is visible in this capture',
  });
  sections.push({
    title: 'ESP security associations', head: ['Flow', 'SPI', 'Judgement', 'Confidence', 'Why', 'Deciding frames'],
    rows: r.esp.map((e) => [e.flow, e.spi, e.verdict === 'null' ? 'NULL encryption' : e.verdict, e.confidence, e.reasons.map((x) => x.text).join(' '), e.decidingFrames.slice(0, 8).join(', ')]),
    empty: 'no ESP',
  });
  return sections;
}

/** The run's line when there are several captures: how many, and the verdicts of all of them. */
function runTotals(reports: VerifyReport[]): string | null {
  if (reports.length < 2) return null;
  const totals = Object.fromEntries(SEVERITY.map((v) => [v, reports.reduce((n, r) => n + r.totals[v], 0)])) as Record<Verdict, number>;
  return `${reports.length} captures, ${totalsText(totals)}`;
}

export function renderVerifyTable(reports: VerifyReport[], opts: { width: number; details: boolean; colour: boolean }): string {
  if (!opts.details) return renderBriefTerminal(reports.map(briefOf), opts.width, opts.colour, runTotals(reports));
  return reports.map((r) => renderSectionsTable(`Encryption verdicts: ${r.file}`, verifySections(r), opts.width)).join('\n');
}

export function renderVerifyMarkdown(reports: VerifyReport[], details: boolean): string {
  if (!details) return renderBriefMarkdown(reports.map(briefOf), runTotals(reports));
  return reports.map((r) => renderSectionsMarkdown(`Encryption verdicts: ${r.file}`, verifySections(r))).join('\n');
}

export function renderVerifyJson(reports: VerifyReport[]): string {
  return JSON.stringify(verifyDocument(reports), null, 2) + '\n';
}
