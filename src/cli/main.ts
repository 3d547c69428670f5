/** da-audit command line: argv → command → report on stdout, diagnostics on stderr, documented exit code. */

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../version.js';
import { ExitCode } from './exit-codes.js';
import { runDecode, type DecodeOptions } from './decode.js';
import { runEvidence, runVerifyBundle } from './evidence.js';
import { runExplain } from './explain.js';
import { runExtract } from './extract.js';
import { runInfo } from './info.js';
import { runSummary } from './summary.js';
import { runVerify } from './verify.js';
import type { AnalyzeOptions } from '../analyze.js';
import { colourOn } from '../report/colour.js';
import { tableWidth } from '../report/table.js';
import { escapeTerminal } from '../report/format.js';
import { availableParallelism } from 'node:os';
import { checkPrefix, DEFAULT_FAIL_ON, FAIL_ON_CHOICES, parseFailOn } from '../fleet/config.js';
import { parseHost, parseSpi, parseTime, type HostMatch } from '../fleet/filters.js';
import type { Verdict } from '../rules/types.js';
import { resolveVerify, type VerifyFlags } from './verify-options.js';
import type { Writer } from './diagnostics.js';
import { ioText, OutputClosed, StdOutput } from './output.js';

export interface Io {
  out: Writer;
  err: Writer;
  /** Raw writes to standard error when it is a terminal, for a progress line; absent otherwise. */
  progress?: (raw: string) => void;
}


function buildProgram(io: Io, setCode: (c: ExitCode) => void): Command {
  const program = new Command();
  program
    .name('da-audit')
    .description('Audits packet captures from Windows DirectAccess clients: was each Remote Assistance session between clients really encrypted?')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run da-audit --help for usage)')
    .option('--width <columns>', 'fit tables into this many columns (0 = no limit; default: the terminal width, else $COLUMNS, else 160)', nonNegativeInt)
    // --width applies to every command's tables, so each command's help lists it too.
    .configureHelp({ showGlobalOptions: true });
  const width = (): number => tableWidth(program.opts<{ width?: number }>().width);

  program
    .command('info')
    .description('state the facts of pcap/pcapng files, like capinfos: format, interfaces, packets, times, SHA-256, anomalies')
    .argument('<capture...>', "capture files or folders (pcap or pcapng, optionally gzip-compressed; a folder's captures recognised by their first bytes); '-' reads standard input")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--strict', 'exit 3 when any capture.* anomaly was found', false)
    .action(async (files: string[], opts: { format: 'table' | 'json'; strict: boolean }) => {
      setCode(await runInfo(files, { ...opts, width: width() }, io.out, io.err));
    });
  addAnalysisOptions(program
    .command('summary')
    .description('the DirectAccess picture: transition technologies, servers and clients, IPsec SAs, IKE/AuthIP negotiations, top conversations')
    .argument('<capture...>', "capture files or folders (pcap or pcapng, optionally gzip-compressed; a folder's captures recognised by their first bytes); '-' reads standard input")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'md']).default('table'))
    .option('--top <n>', 'conversations to list', positiveInt, 10)
    .option('--strict', 'exit 3 when any capture.* anomaly was found', false))
    .action(async (files: string[], opts: { format: 'table' | 'json' | 'md'; top: number; strict: boolean } & AnalysisFlags) => {
      setCode(await runSummary(files, { format: opts.format, top: opts.top, strict: opts.strict, width: width(), analyze: analysisOptions(opts) }, io.out, io.err));
    });

  addAnalysisOptions(program
    .command('verify')
    .description('verdict per Remote Assistance session and per pair of DirectAccess clients: encrypted, integrity-only, clear, failed or inconclusive, with evidence frames')
    .argument('[capture...]', "capture files or folders (searched recursively; captures recognised by their first bytes); '-' reads standard input")
    .addOption(new Option('-f, --format <format>', 'output format (jsonl, csv: one row per verdict)').choices(['table', 'json', 'md', 'jsonl', 'csv']).default('table'))
    .option('-o, --output <file>', 'write the report to this file instead of standard output')
    .option('-q, --quiet', 'no report and no progress: the exit code and the problem lines only', false)
    .option('--files-from <list>', "read capture paths from this file, one per line ('-': standard input)")
    .addOption(new Option('-j, --jobs <n>', 'cores to keep busy: captures analysed at once, in worker threads (a large capture is hashed on a thread of its own only when a core is left over)').argParser(positiveInt).default(availableParallelism(), `the number of cores, ${availableParallelism()}`))
    .option('--fail-on <verdicts>', `verdicts that make the exit code 1, comma-separated among ${FAIL_ON_CHOICES.join(', ')} (default: ${DEFAULT_FAIL_ON.join(',')})`, failOnList)
    .option('--host <addr|name>', 'report only verdicts with this endpoint (an address, or a name the capture gives it); repeatable', collectHost, [])
    .option('--pair <a,b>', 'report only verdicts between these two endpoints (addresses or names); repeatable', collectPair, [])
    .option('--since <time>', 'report only verdicts whose traffic lasts until this capture time or later (ISO 8601; UTC when no zone)', isoTime)
    .option('--until <time>', 'report only verdicts whose traffic began at this capture time or earlier (ISO 8601)', isoTime)
    .option('--spi <spi>', 'report only verdicts carried by an SA with this SPI (ESP or AH; 0x1a2b3c4d or decimal); repeatable', collectSpi, [])
    .option('--config <file>', 'JSON file with the site\'s DirectAccess context (daServers, daPrefixes, iphttpsPrefixes, nat64Prefixes, raPorts, failOn); options given here override it')
    .option('--ra-port <port>', 'another TCP port Remote Assistance listens on (besides 3389 and the RDP signature); repeatable', collectPort, [])
    .option('--strict', 'exit 0 only when every judged verdict is encrypted and nothing was out of sight: also exit 1 on failed, inconclusive, incomplete or no client traffic', false)
    .option('--details', 'the full evidence (every reason and note, protection paths, ESP SAs, isolation findings) instead of the report to scan', false)
    .addOption(new Option('--color <when>', 'colour the verdict words: auto (a terminal, unless NO_COLOR; FORCE_COLOR forces it), always, never').choices(['auto', 'always', 'never']).default('auto')))
    .action(async (files: string[], opts: VerifyFlags, cmd: Command) => {
      const resolved = resolveVerify(files, opts, (name) => cmd.getOptionValueSource(name) === 'cli', io.err);
      // A report written to a file (-o) is no terminal: colour only when asked for.
      const colour = colourOn(opts.color, process.env, process.stdout.isTTY === true && opts.output === undefined);
      setCode(resolved === null ? ExitCode.Usage : await runVerify(files, {
        ...resolved, width: width(), details: opts.details, colour, progress: opts.quiet ? null : io.progress ?? null,
      }, io.out, io.err));
    });

  addAnalysisOptions(program
    .command('evidence')
    .description('write a compliance evidence bundle to a folder: report.json/.md/.html, verdicts.csv, evidence.pcapng (the deciding frames), recheck.sh/.md (tshark commands), SHA256SUMS (docs/evidence.md)')
    .argument('<capture...>', 'capture files (pcap or pcapng, optionally gzip-compressed); not standard input: a reviewer must re-read them')
    .requiredOption('-o, --output <folder>', 'folder to write the bundle into (created when missing; bundle files in it are replaced)')
    .option('--ra-port <port>', 'another TCP port Remote Assistance listens on (besides 3389 and the RDP signature); repeatable', collectPort, [])
    .option('--timestamp', 'record the time of the run in the bundle (without it, two runs give byte-identical bundles)', false)
    .option('--sign <key>', 'PEM Ed25519 private key: sign SHA256SUMS into SHA256SUMS.sig')
    .option('--strict', 'exit codes as verify --strict', false))
    .action(async (files: string[], opts: { output: string; raPort: number[]; timestamp: boolean; sign?: string; strict: boolean } & AnalysisFlags) => {
      setCode(await runEvidence(files, {
        output: opts.output, timestamp: opts.timestamp, sign: opts.sign ?? null, strict: opts.strict, analyze: { ...analysisOptions(opts), raPorts: opts.raPort },
      }, io.err));
    });

  program
    .command('verify-bundle')
    .description('check an evidence bundle: every file against SHA256SUMS (and its signature), then re-run the analysis with the recorded options on the captures and compare (exit 0 identical, 1 different, 3 missing or altered)')
    .argument('<folder>', 'the bundle folder')
    .argument('[capture...]', "the captures analysed (default: the bundle's inputs/ folder); each is matched by its SHA-256")
    .option('--pubkey <key>', 'PEM Ed25519 public key: SHA256SUMS.sig must be its valid signature of SHA256SUMS')
    .action(async (dir: string, captures: string[], opts: { pubkey?: string }) => {
      setCode(await runVerifyBundle(dir, captures, { pubkey: opts.pubkey ?? null }, io.out, io.err));
    });

  addAnalysisOptions(program
    .command('extract')
    .description('write the IPv6 packets carried inside NULL-cipher IP-HTTPS as pcapng (raw IPv6), with the outer frames in each packet comment')
    .argument('<capture>', "capture file (pcap or pcapng, optionally gzip-compressed); '-' reads standard input")
    .requiredOption('-o, --output <file>', "pcapng file to write ('-' for standard output)"))
    .action(async (file: string, opts: { output: string } & AnalysisFlags) => {
      setCode(await runExtract(file, { output: opts.output, analyze: analysisOptions(opts) }, io.err));
    });

  program
    .command('explain')
    .description('what a reason code of the verify report means, the evidence that raises it, the fix and how to confirm it; without a code, list every code')
    .argument('[code]', 'a reason code, e.g. iphttps.auth_none')
    .action((code: string | undefined) => {
      setCode(runExplain(code, io.out, io.err));
    });

  program
    .command('decode')
    .description('decode every frame: one line each like tshark (source → destination, layer stack, key fields), or JSON lines; the IPv6 inside NULL-cipher IP-HTTPS on lines of its own')
    .argument('<capture...>', "capture files (pcap or pcapng, optionally gzip-compressed); '-' reads standard input")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'jsonl']).default('text'))
    .addOption(new Option('--time <kind>', 'time column: seconds since the first frame, or ISO 8601 UTC').choices(['relative', 'absolute']).default('relative'))
    .option('-c, --count <n>', 'stop after n frames', positiveInt, 0)
    .option('--frame <n>', 'decode only frame n (Wireshark numbering)', positiveInt, 0)
    .action(async (files: string[], opts: DecodeOptions) => {
      setCode(await runDecode(files, opts, io.out, io.err));
    });
  return program;
}

/** Options every analysing command shares. */
export interface AnalysisFlags {
  daServer: string[];
  daPrefix: string[];
  iphttpsPrefix: string[];
  nat64Prefix: string[];
  maxFlows: number;
  flowIdle: number;
}

function addAnalysisOptions(cmd: Command): Command {
  return cmd
    .option('--da-server <name>', 'DirectAccess server name (IP-HTTPS certificate / SNI); repeatable', collect, [])
    .option('--da-prefix <prefix>', 'DirectAccess (corporate) IPv6 prefix, e.g. 2001:db8:1::/48; repeatable', collectPrefix, [])
    .option('--iphttps-prefix <prefix>', 'IP-HTTPS client prefix, e.g. 2001:db8:1:1000::/64; repeatable (also learnt from Router Advertisements)', collectPrefix, [])
    .option('--nat64-prefix <prefix>', 'DirectAccess NAT64 /96 prefix; repeatable', collectPrefix, [])
    .option('--max-flows <n>', 'live flows kept at most; more evict the least recently active', positiveInt, 1_000_000)
    .option('--flow-idle <seconds>', 'finish a flow idle this long (capture time; 0 = never)', nonNegativeInt, 1800);
}

function analysisOptions(o: AnalysisFlags): AnalyzeOptions {
  return {
    daServers: o.daServer, daPrefixes: o.daPrefix, ipHttpsPrefixes: o.iphttpsPrefix, nat64Prefixes: o.nat64Prefix,
    maxFlows: o.maxFlows, flowIdleSec: o.flowIdle,
  };
}

function collectPort(value: string, previous: number[]): number[] {
  const n = wholeNumber(value);
  if (n === null || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port number 1–65535');
  return [...previous, n];
}

function collectHost(value: string, previous: HostMatch[]): HostMatch[] {
  const h = parseHost(value);
  if (h === null) throw new InvalidArgumentError('expected an address or a host name');
  return [...previous, h];
}

function collectPair(value: string, previous: [HostMatch, HostMatch][]): [HostMatch, HostMatch][] {
  const parts = value.split(',');
  const [a, b] = parts.map((x) => parseHost(x.trim()));
  if (parts.length !== 2 || !a || !b) throw new InvalidArgumentError('expected two endpoints separated by a comma, e.g. fe80::1,fe80::2');
  return [...previous, [a, b]];
}

function collectSpi(value: string, previous: number[]): number[] {
  const n = parseSpi(value);
  if (n === null) throw new InvalidArgumentError('expected an SPI: 0x followed by 1–8 hex digits, or a decimal number below 2^32');
  return [...previous, n];
}

function isoTime(value: string): number {
  const t = parseTime(value);
  if (t === null) throw new InvalidArgumentError('expected an ISO 8601 date and time, e.g. 2026-03-01T09:30:00Z');
  return t;
}

function failOnList(value: string): Verdict[] {
  const v = parseFailOn(value);
  if (v === null) throw new InvalidArgumentError(`expected verdicts among ${FAIL_ON_CHOICES.join(', ')}, separated by commas`);
  return v;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Checks a prefix with ip6addr as it is typed, so a typo is a usage error (exit 2), not a crash later. Every
 * prefix option names IPv6 addresses (DirectAccess is IPv6 inside), so an IPv4 prefix is a mistake too.
 */
function collectPrefix(value: string, previous: string[]): string[] {
  if (!checkPrefix(value)) throw new InvalidArgumentError(`not an address prefix: ${escapeTerminal(value)} (expected an IPv6 prefix, e.g. 2001:db8:1:1000::/64)`);
  return [...previous, value];
}

/**
 * Strict whole numbers: decimal digits only, at most 2^53 − 1. Why not Number(): it reads "" and " " as 0,
 * and accepts "0x10", "1e3", " 7 " and values past 2^53 that it cannot hold exactly.
 */
function wholeNumber(value: string): number | null {
  if (!/^[0-9]{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function nonNegativeInt(value: string): number {
  const n = wholeNumber(value);
  if (n === null) throw new InvalidArgumentError('expected a whole number ≥ 0 in decimal digits, at most 2^53 − 1');
  return n;
}

function positiveInt(value: string): number {
  const n = wholeNumber(value);
  if (n === null || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1 in decimal digits, at most 2^53 − 1');
  return n;
}

/**
 * Runs the CLI and returns the exit code (never calls process.exit itself). Without `io` it writes to
 * standard output and error; a failed standard output then ends the run as docs/cli.md says: quietly with
 * the run's own code when the reader closed the pipe, else with one line and exit 3.
 */
export async function main(argv: string[], io?: Io): Promise<ExitCode> {
  const stdout = io ? null : new StdOutput(process.stdout);
  const stderr = io ? null : new StdOutput(process.stderr);
  const used: Io = io ?? {
    out: stdout!.write,
    ...(process.stderr.isTTY ? { progress: (raw: string) => process.stderr.write(raw) } : {}),
    // Nowhere is left to report a failed standard error on; the exit code still says how the run went.
    err: (s) => {
      try {
        stderr!.write(s);
      } catch {
        // dropped
      }
    },
  };
  const code = await run(argv, used);
  const failure = stdout ? await stdout.flush() : null;
  if (failure === null || failure.code === 'EPIPE') return code;
  used.err(`da-audit: error: cannot write to standard output: ${ioText(failure)}; the output is incomplete`);
  return ExitCode.Input;
}

async function run(argv: string[], io: Io): Promise<ExitCode> {
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
    // Standard output failed before the command was done; main says how.
    if (e instanceof OutputClosed) return code;
    io.err(`da-audit: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env['DA_AUDIT_DEBUG'] && e instanceof Error && e.stack) io.err(e.stack);
    return ExitCode.Internal;
  }
}
