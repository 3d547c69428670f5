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
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Several inputs → the worst code wins (larger is worse). */
export function worst(a: ExitCode, b: ExitCode): ExitCode {
  return a > b ? a : b;
}
