/** da-audit command line: argv → command → report on stdout, diagnostics on stderr, documented exit code. */

import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { ExitCode } from './exit-codes.js';
import { runInfo } from './info.js';
import type { Writer } from './diagnostics.js';

export interface Io {
  out: Writer;
  err: Writer;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
};

function buildProgram(io: Io, setCode: (c: ExitCode) => void): Command {
  const program = new Command();
  program
    .name('da-audit')
    .description('Audits packet captures from Windows DirectAccess clients: was each Remote Assistance session between clients really encrypted?')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run da-audit --help for usage)');

  program
    .command('info')
    .description('state the facts of pcap/pcapng files, like capinfos: format, interfaces, packets, times, SHA-256, anomalies')
    .argument('<capture...>', "capture files (pcap or pcapng, optionally gzip-compressed); '-' reads standard input")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--strict', 'exit 3 when any capture.* anomaly was found', false)
    .action(async (files: string[], opts: { format: 'table' | 'json'; strict: boolean }) => {
      setCode(await runInfo(files, opts, io.out, io.err));
    });
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function main(argv: string[], io: Io = defaultIo): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    io.err(`da-audit: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env['DA_AUDIT_DEBUG'] && e instanceof Error && e.stack) io.err(e.stack);
    return ExitCode.Internal;
  }
}
