/** Exit codes of da-audit, one table (architecture §8; documented in docs/cli.md). */

export const ExitCode = {
  /** Analysed; nothing at or above the failure threshold. */
  Ok: 0,
  /** A finding or verdict at or above the failure threshold. */
  Findings: 1,
  /** Bad command line. */
  Usage: 2,
  /** Input problem: unreadable, not pcap/pcapng, a fatal format error, a cut-short file, or any capture.* anomaly under --strict. */
  Input: 3,
  /** A bug in da-audit. */
  Internal: 4,
  /**
   * verify: nothing clear was found, but something that could carry traffic between clients was not seen or not
   * judged (an inconclusive verdict, an opaque tunnel, a bound that dropped client-capable flows): not a pass.
   */
  Incomplete: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Precedence, weakest first: an input problem (3) outranks "incomplete" (5); a finding (1) outranks both, so that one
 * damaged capture among many never hides a clear session in another (the report gives each file's status); then
 * usage, internal. A report that could not be written at all is exit 3 whatever it held (main, -o).
 */
const RANK: readonly ExitCode[] = [ExitCode.Ok, ExitCode.Incomplete, ExitCode.Input, ExitCode.Findings, ExitCode.Usage, ExitCode.Internal];

/** Several inputs or findings → the code of highest precedence wins. */
export function worst(a: ExitCode, b: ExitCode): ExitCode {
  return RANK.indexOf(a) >= RANK.indexOf(b) ? a : b;
}
