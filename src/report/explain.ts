/** What a reason code means, the evidence that raises it and its fix: one text for `da-audit explain` and docs/verdicts.md. */

import { REASONS, type ReasonCode } from '../classify/reasons.js';
import { REMEDIES, type Remedy } from '../rules/remedies.js';

export function isReasonCode(code: string): code is ReasonCode {
  return Object.hasOwn(REASONS, code);
}

/** The entry of one code, as Markdown lines (heading, kind and meaning, evidence, fix and its variants, checks). */
export function explainLines(code: ReasonCode): string[] {
  const spec = REASONS[code];
  const out = [`### \`${code}\``, '', `*${spec.kind}* — ${spec.meaning}`, '', `**Raised by:** ${spec.evidence}`, ''];
  const r = REMEDIES[code] as Remedy | undefined;
  if (r) {
    out.push(`**Fix:** ${r.fix}`, '');
    for (const v of r.variants ?? []) out.push(`**Fix, ${v.label}:** ${v.fix}`, '');
    out.push('**Confirm on the client:**', '', '```powershell', ...r.confirm, '```', '');
  }
  return out;
}

/** One line per code: the code and what it means. */
export function codeList(): string[] {
  return Object.entries(REASONS).map(([code, spec]) => `${code.padEnd(28)} ${spec.kind.padEnd(10)} ${spec.meaning}`);
}
