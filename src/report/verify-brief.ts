/**
 * The default `verify` report, to scan (issue "Troubleshooting" item 3): one entry per verdict, worst first, and under
 * each that is not encrypted its cause, fix and check; one model, rendered for the terminal and as Markdown.
 */

import type { Verdict } from '../rules/types.js';
import type { Check } from './check.js';
import { paintWord } from './colour.js';
import { escapeMarkdown, escapeTerminal } from './format.js';
import { hangingParagraph } from './table.js';
import type { EndpointJson, ReasonJson, RecordJson, VerifyReport } from './verify.js';

/** Worst first: what failed the rule before what was only not proven, encrypted last. */
export const SEVERITY: readonly Verdict[] = ['failed', 'clear', 'integrity-only', 'inconclusive', 'encrypted'];

/** The capture's result as a word and a sentence, for every renderer of the verify report. */
export const RESULT: Record<VerifyReport['result'], [word: string, text: string]> = {
  'findings': ['FINDINGS', 'traffic between clients is clear or integrity-only'],
  'incomplete': ['INCOMPLETE', 'something that could carry traffic between clients was not seen or not judged (see Coverage)'],
  'failed': ['FAILED', 'sessions between clients were attempted and failed; nothing travelled unprotected'],
  'encrypted': ['ENCRYPTED', 'everything judged between clients was encrypted, and nothing was out of sight'],
  'no-client-traffic': ['NO CLIENT TRAFFIC', 'no traffic between DirectAccess clients is visible'],
};

interface Entry extends Remedied {
  /** Notes that call for action, each with its fix. */
  advice: { note: ReasonJson; fix: string }[];
  verdict: Verdict;
  kind: 'session' | 'pair';
  /** The two ends, with port and first name when known. */
  ends: string;
  /** Service, protocol, protection path and frames. */
  what: string;
}

/** A cause with what to do about it: under a verdict, or a finding about the IP-HTTPS link. */
interface Remedied {
  cause: ReasonJson | null;
  fix: string | null;
  check: Check | null;
}

/** What one capture's brief report shows. */
export interface Brief {
  file: string;
  facts: string;
  result: [word: string, text: string];
  assumptions: string[];
  /** Why a transition link (IP-HTTPS, Teredo, 6to4) did not come up. */
  link: Remedied[];
  entries: Entry[];
  coverage: string[];
  totals: string;
}

/**
 * An end as text: its address, "port N" and its first name. By default "port N" is held to the address by no-break
 * spaces, so a wrapped line never ends between them.
 */
export function endText(e: EndpointJson, withPort: boolean, space = '\u00a0'): string {
  return `${e.address}${withPort && e.port !== null ? `${space}port${space}${e.port}` : ''}${e.names.length > 0 ? ` (${e.names[0]})` : ''}`;
}

function entry(r: RecordJson): Entry {
  const session = r.kind === 'session';
  const service = r.service.name === 'unknown' ? '' : `${r.service.name}${r.protocol ? ` over ${r.protocol}` : ''}; `;
  const span = r.frames.first === r.frames.last ? `frame ${r.frames.first}` : `frames ${r.frames.first}–${r.frames.last}`;
  return {
    verdict: r.verdict, kind: r.kind, ends: `${endText(r.a, session)} ${session ? '→' : '↔'} ${endText(r.b, session)}`,
    what: `${service}${r.path}; ${span}`, cause: r.cause, fix: r.fix?.text ?? null, check: r.check,
    advice: r.notes.flatMap((n) => (n.fix ? [{ note: n, fix: n.fix.text }] : [])),
  };
}

/** "1 encrypted, 2 clear" in severity order, kinds with none left out. */
export function totalsText(totals: Record<Verdict, number>): string {
  const n = SEVERITY.reduce((s, v) => s + totals[v], 0);
  const parts = SEVERITY.filter((v) => totals[v] > 0).map((v) => `${totals[v]} ${v}`);
  return `${n} verdict${n === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

export function briefOf(r: VerifyReport): Brief {
  const records = [...r.sessions, ...r.pairs];
  const entries = SEVERITY.flatMap((v) => records.filter((x) => x.verdict === v)).map(entry);
  const time = r.firstPacketTime ? `, ${r.firstPacketTime} – ${r.lastPacketTime}` : '';
  const status = r.status === 'complete' ? 'read to the end' : `${r.status} (see the diagnostics)`;
  return {
    file: r.file, facts: `${r.packets} packets${time}, ${status}`, result: RESULT[r.result],
    assumptions: r.assumptions.map((a) => `${a.text} [${a.code}]`),
    link: r.link.map((l) => ({ cause: l, fix: l.fix?.text ?? null, check: l.check })),
    entries,
    coverage: r.coverage.map((c) => `${c.text} [${c.code}${c.blocking ? ', makes the result incomplete' : ''}]`),
    totals: totalsText(r.totals),
  };
}

/** Verdict words padded to one column. */
const WORD = Math.max(...SEVERITY.map((v) => v.length)) + 2;

export function renderBriefTerminal(briefs: Brief[], width: number, colour: boolean, runTotals: string | null): string {
  const out: string[] = [];
  const para = (text: string, first: string, rest: string): string => hangingParagraph(escapeTerminal(text), width, first, rest);
  for (const b of briefs) {
    if (out.length > 0) out.push('');
    out.push(escapeTerminal(`Encryption verdicts: ${b.file}`), para(b.facts, '  ', '  '));
    out.push(paintWord(colour, b.result[0]) + para(`${b.result[0]}: ${b.result[1]}`, '', '  ').slice(b.result[0].length));
    for (const a of b.assumptions) out.push(para(a, 'Assumed: ', '  '));
    out.push('');
    // A fix met again in the same capture is written out once: later blocks point back to it.
    const explained = new Set<string>();
    const remedied = (e: Remedied): void => {
      if (e.cause) out.push(para(`${e.cause.code}: ${e.cause.text}`, '  cause  ', '         '));
      const again = e.fix !== null && explained.has(e.fix);
      if (e.fix) out.push(again ? `  fix    as above (${e.cause!.code})` : para(e.fix, '  fix    ', '         '));
      // Commands are printed whole, one per line, to be copied as they are.
      const commands = e.check ? [...e.check.tshark, ...(again ? [] : e.check.windows)] : [];
      commands.forEach((c, i) => out.push(`${i === 0 ? '  check  ' : '         '}${escapeTerminal(c)}`));
      if (e.fix) explained.add(e.fix);
    };
    if (b.link.length > 0) {
      out.push(`${paintWord(colour, 'LINK')} a transition technology did not come up (IP-HTTPS, Teredo, 6to4)`);
      for (const l of b.link) remedied(l);
      out.push('');
    }
    if (b.entries.length === 0) out.push('  no traffic between DirectAccess clients is visible in this capture');
    for (const e of b.entries) {
      const word = e.verdict.toUpperCase().padEnd(WORD);
      const indent = ' '.repeat(WORD + 8);
      out.push(paintWord(colour, word) + para(e.ends, word + e.kind.padEnd(8), indent).slice(word.length));
      out.push(para(e.what, indent, indent));
      remedied(e);
      for (const a of e.advice) {
        out.push(para(`${a.note.code}: ${a.note.text}`, '  note   ', '         '));
        out.push(para(a.fix, '  fix    ', '         '));
      }
    }
    if (b.coverage.length > 0) {
      out.push('', 'Coverage (what the capture does not show):');
      for (const c of b.coverage) out.push(para(c, '  - ', '    '));
    }
    out.push('', `Totals: ${b.totals}`);
  }
  if (runTotals !== null) out.push('', `Run: ${runTotals}`);
  return out.join('\n') + '\n';
}

/** A fence longer than any run of backticks in the text, so no packet- or file-derived text can close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function codeBlock(lang: string, lines: string[]): string[] {
  const body = lines.map(escapeTerminal).join('\n');
  const f = fence(body);
  return [`${f}${lang}`, body, f];
}

export function renderBriefMarkdown(briefs: Brief[], runTotals: string | null): string {
  const out: string[] = [];
  for (const b of briefs) {
    if (out.length > 0) out.push('');
    out.push(`# Encryption verdicts: ${escapeMarkdown(b.file)}`, '', `${escapeMarkdown(b.facts)}.`, '', `**${b.result[0]}:** ${escapeMarkdown(b.result[1])}`);
    for (const a of b.assumptions) out.push('', `**Assumed:** ${escapeMarkdown(a)}`);
    const remedied = (e: Remedied): void => {
      if (e.cause) out.push('', `- **Cause** (\`${e.cause.code}\`): ${escapeMarkdown(e.cause.text)}`);
      if (e.fix) out.push(`- **Fix:** ${escapeMarkdown(e.fix)}`);
      if (e.check) {
        out.push('- **Check** in the capture, then on the client:', '');
        if (e.check.tshark.length > 0) out.push(...codeBlock('sh', e.check.tshark), '');
        out.push(...codeBlock('powershell', e.check.windows));
      }
    };
    if (b.link.length > 0) {
      out.push('', '## LINK — a transition technology did not come up');
      for (const l of b.link) remedied(l);
    }
    if (b.entries.length === 0) out.push('', '_No traffic between DirectAccess clients is visible in this capture._');
    for (const e of b.entries) {
      out.push('', `## ${e.verdict.toUpperCase()} — ${e.kind} ${escapeMarkdown(e.ends.replace(/\u00a0/g, ' '))}`, '', escapeMarkdown(e.what));
      remedied(e);
      for (const a of e.advice) out.push('', `- **Note** (\`${a.note.code}\`): ${escapeMarkdown(a.note.text)}`, `- **Fix:** ${escapeMarkdown(a.fix)}`);
    }
    if (b.coverage.length > 0) out.push('', '## Coverage', '', ...b.coverage.map((c) => `- ${escapeMarkdown(c)}`));
    out.push('', `**Totals:** ${escapeMarkdown(b.totals)}`);
  }
  if (runTotals !== null) out.push('', `**Run:** ${escapeMarkdown(runTotals)}`);
  return out.join('\n') + '\n';
}
