/** recheck.sh and recheck.md: per verdict, the tshark commands that show its deciding frames on the original capture. */

import { framesFilter } from '../report/check.js';
import { escapeMarkdown, escapeTerminal, shellQuote } from '../report/format.js';
import { endText } from '../report/verify-brief.js';
import type { RecordJson } from '../report/verify.js';
import { proofFrames, reasonCodes, type EvidenceDocument } from './document.js';

/** Decodes Teredo on any port, as da-audit does (its UDP port is not always 3544). */
const TSHARK_OPTIONS = ['-n', '-o', 'teredo.heuristic_teredo:TRUE'];

/** The tshark fields that show what decided a record: addresses and layers always, then what its path and service name. */
function fields(r: RecordJson): string[] {
  const f = ['frame.number', 'frame.time_epoch', 'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst'];
  if (/\besp\b/.test(r.path)) f.push('esp.spi', 'esp.sequence');
  if (/\bah\b/.test(r.path)) f.push('ah.spi', 'ah.sequence');
  if (r.protocol === 'tcp' || r.service.name !== 'unknown') f.push('tcp.srcport', 'tcp.dstport', 'tcp.flags.str');
  if (r.service.name === 'remote-assistance' || r.service.name === 'rdp') f.push('rdp.rt_cookie');
  return f;
}

interface Check {
  file: string;
  title: string;
  claim: string;
  evidence: { frame: number; what: string }[];
  /** tshark arguments after the capture path. */
  args: string[][];
}

function checks(doc: EvidenceDocument): Check[] {
  return doc.files.flatMap((f) => [...f.sessions, ...f.pairs].map((r) => {
    const nego = [...new Set(r.negotiations.flatMap((n) => n.frames))].sort((x, y) => x - y);
    const args = [['-Y', framesFilter(proofFrames(r)), '-T', 'fields', ...fields(r).flatMap((x) => ['-e', x])]];
    if (nego.length > 0) args.push(['-Y', framesFilter(nego), '-T', 'fields', ...['frame.number', 'frame.protocols', 'isakmp.exchangetype', 'isakmp.ispi', 'isakmp.rspi'].flatMap((x) => ['-e', x])]);
    return {
      file: f.file,
      title: `${r.kind} ${endText(r.a, true, ' ')} → ${endText(r.b, true, ' ')}${r.protocol ? ` ${r.protocol}` : ''}: ${r.verdict.toUpperCase()} (${reasonCodes(r).join(', ')})`,
      claim: r.cause !== null ? r.cause.text : r.reasons.map((x) => x.text).join(' ') || r.verdict,
      evidence: r.evidence, args,
    };
  }));
}

/** A POSIX sh script; every text taken from packets is made visible (escapeTerminal) and single-quoted, so it cannot run. */
export function recheckScript(doc: EvidenceDocument): string {
  const out = [
    '#!/bin/sh',
    `# ${doc.tool.name} ${doc.tool.version} evidence: re-check each verdict with tshark on the original captures, without da-audit.`,
    '# Usage: sh recheck.sh [FOLDER]   FOLDER holds the captures under their bundle names (default: inputs/ next to this script).',
    '# Compare each printed frame with the claim above it; recheck.md says what to look for.',
    'set -u',
    'DIR=${1:-"$(dirname "$0")/inputs"}',
    'TSHARK=${TSHARK:-tshark}',
  ];
  for (const c of checks(doc)) {
    out.push('', `printf '%s\\n' ${shellQuote(escapeTerminal(`== ${c.file}: ${c.title}`))}`, `printf '%s\\n' ${shellQuote(escapeTerminal(`   claim: ${c.claim}`))}`);
    for (const a of c.args) out.push(`"$TSHARK" ${TSHARK_OPTIONS.join(' ')} -r "$DIR/"${shellQuote(c.file)} ${a.map(shellQuote).join(' ')}`);
  }
  return out.join('\n') + '\n';
}

/** The same checks for a reader: the claim, the frames that prove it and what each shows, and the command. */
export function recheckMarkdown(doc: EvidenceDocument): string {
  const out = [
    `# Re-checking the verdicts with tshark`, '',
    `Each verdict below names the frames that decided it. The commands read the **original** capture (put the captures in \`inputs/\` or give their folder to \`sh recheck.sh FOLDER\`; \`sha256sum -c SHA256SUMS\` proves they are the ones analysed). Frame numbers are Wireshark's. tshark cannot read IPv6 carried inside IP-HTTPS (TLS with a NULL cipher suite): such frames show as \`tls\` in its output, and \`da-audit extract\` writes the packets inside them for Wireshark.`,
  ];
  for (const c of checks(doc)) {
    out.push('', `## ${escapeMarkdown(`${c.file}: ${c.title}`)}`, '', `Claim: ${escapeMarkdown(c.claim)}`, '');
    if (c.evidence.length > 0) {
      out.push('| Frame | What it shows |', '| --- | --- |', ...c.evidence.map((e) => `| ${e.frame} | ${escapeMarkdown(e.what)} |`), '');
    }
    out.push('```sh', ...c.args.map((a) => `tshark ${TSHARK_OPTIONS.join(' ')} -r inputs/${shellQuote(c.file)} ${a.map(shellQuote).join(' ')}`), '```');
  }
  return out.join('\n') + '\n';
}
