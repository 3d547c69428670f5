/** `da-audit explain [code]`: what a reason code means, what raises it, its fix and checks (the text of docs/verdicts.md). */

import { codeList, explainLines, isReasonCode } from '../report/explain.js';
import { escapeTerminal } from '../report/format.js';
import type { Writer } from './diagnostics.js';
import { ExitCode } from './exit-codes.js';

export function runExplain(code: string | undefined, out: Writer, err: Writer): ExitCode {
  if (code === undefined) {
    out(codeList().join('\n') + '\n');
    return ExitCode.Ok;
  }
  if (!isReasonCode(code)) {
    const family = code.split('.')[0]!;
    const near = codeList().map((l) => l.split(' ')[0]!).filter((c) => c.startsWith(`${family}.`));
    err(`da-audit: error: no reason code ${escapeTerminal(code)}${near.length > 0 ? `; codes of ${escapeTerminal(family)}: ${near.join(', ')}` : ''} (da-audit explain lists them all)\n`);
    return ExitCode.Usage;
  }
  out(explainLines(code).join('\n'));
  return ExitCode.Ok;
}
