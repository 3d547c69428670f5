/** `da-audit extract`: the IPv6 packets inside NULL-cipher IP-HTTPS as a pcapng of raw IPv6 (LINKTYPE_IPV6) for Wireshark. */

import { closeSync, openSync, writeSync } from 'node:fs';
import { analyze, type AnalyzeOptions } from '../analyze.js';
import { NANOSECONDS } from '../capture/timestamp.js';
import { PcapngWriter } from '../capture/writer.js';
import { addressText, escapeTerminal } from '../report/format.js';
import { VERSION } from '../version.js';
import { reportCaptureProblems, type Writer } from './diagnostics.js';
import { ExitCode } from './exit-codes.js';
import { ioText, sameFile } from './output.js';

export interface ExtractOptions {
  output: string;
  analyze: AnalyzeOptions;
}

/** Sleeps a millisecond: standard output may be a non-blocking pipe whose reader is slower than we write. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes b[0, n): writeSync may write less than asked (a pipe). */
function writeAll(fd: number, b: Uint8Array, n: number): void {
  for (let at = 0; at < n; ) {
    try {
      at += writeSync(fd, b, at, n - at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/**
 * Writes the pcapng to a file, or to stdout for '-', through a 1 MiB buffer; chunks are copied in, as ByteSink asks
 * (the writer reuses its buffer). A write failure (full disk, closed pipe) is kept, and later writes are dropped, so
 * that the run ends with one line and a documented exit code instead of an exception inside the analysis.
 */
class FileSink {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  failure: NodeJS.ErrnoException | null = null;
  /** Opens `path` for writing ('-': standard output); throws when it cannot be opened. */
  constructor(path: string) {
    this.fd = path === '-' ? 1 : openSync(path, 'w');
  }
  readonly write = (chunk: Uint8Array): void => {
    if (this.failure) return;
    if (this.used + chunk.length > this.buf.length) this.flush();
    if (chunk.length > this.buf.length) {
      this.guard(() => writeAll(this.fd, chunk, chunk.length));
      return;
    }
    this.buf.set(chunk, this.used);
    this.used += chunk.length;
  };
  flush(): void {
    if (this.used === 0) return;
    this.guard(() => writeAll(this.fd, this.buf, this.used));
    this.used = 0;
  }
  close(): void {
    this.flush();
    if (this.fd !== 1) this.guard(() => closeSync(this.fd));
  }
  private guard(io: () => void): void {
    if (this.failure) return;
    try {
      io();
    } catch (e) {
      this.failure = e as NodeJS.ErrnoException;
    }
  }
}

export async function runExtract(file: string, opts: ExtractOptions, err: Writer): Promise<ExitCode> {
  const outName = opts.output === '-' ? 'standard output' : escapeTerminal(opts.output);
  // The same words as main's for a failed standard output.
  const cannot = `da-audit: error: cannot write ${opts.output === '-' ? 'to standard output' : outName}`;
  if (sameFile(file, opts.output)) {
    err(`da-audit: error: ${outName} is the input capture; refusing to overwrite it (choose another -o)`);
    return ExitCode.Usage;
  }
  let sink: FileSink;
  try {
    sink = new FileSink(opts.output);
  } catch (e) {
    err(`${cannot}: ${ioText(e)}`);
    return ExitCode.Usage;
  }
  const w = new PcapngWriter(sink.write);
  w.section({ application: `da-audit ${VERSION} extract`, comments: [`IPv6 packets carried inside NULL-cipher IP-HTTPS connections of ${file}`] });
  w.interface({ linkType: 229, name: 'ip-https-inner', description: 'IPv6 taken out of IP-HTTPS (MS-IPHTTPS §3.1.5.3)', tsResolution: NANOSECONDS });
  let packets = 0;
  const analysis = await analyze(file, {
    ...opts.analyze,
    read: { hash: false },
    // The writer copies the packet into its block before returning, as it must: q and its buffer are reused.
    onInnerPacket: (q) => {
      const c = q.carrier;
      const dir = q.fromClient ? 'client → server' : 'server → client';
      const frames = q.frames.length > 8 ? `${q.frames.slice(0, 8).join(', ')}, …` : q.frames.join(', ');
      w.packet({ sec: q.sec, nsec: q.nsec }, q.buf.subarray(q.start, q.end), {
        flags: q.fromClient === (c.origPort !== 443) ? 2 : 1,
        comments: [`outer frame${q.frames.length > 1 ? 's' : ''} ${frames}; IP-HTTPS flow ${c.id} ${addressText(c.origAddr)}:${c.origPort} ↔ ${addressText(c.respAddr)}:${c.respPort}, ${dir}`],
      });
      packets++;
    },
  });
  sink.close();
  reportCaptureProblems(analysis.capture, err);
  const code = analysis.capture.error !== null || analysis.capture.warnings.length > 0 ? ExitCode.Input : ExitCode.Ok;
  if (sink.failure) {
    // A closed pipe means the reader wanted no more: stop quietly. Anything else lost the output: say so.
    if (sink.failure.code === 'EPIPE') return code;
    err(`${cannot}: ${ioText(sink.failure)}; the output is incomplete`);
    return ExitCode.Input;
  }
  if (packets === 0) {
    const opaque = analysis.flows.filter((r) => r.label.transition === 'ip-https' && r.flow.tls?.facts.serverHello && !r.flow.tls.facts.serverHello.nullCipher);
    err(`da-audit: warning: ${escapeTerminal(file)}: no IPv6 extracted: ${opaque.length > 0
      ? `the IP-HTTPS connection(s) use ${opaque.map((r) => r.flow.tls!.facts.serverHello!.cipherSuiteName).join(', ')}, whose records cannot be read without keys`
      : 'no IP-HTTPS connection with a NULL cipher suite in the capture'}`);
  } else {
    err(`da-audit: ${packets} IPv6 packet(s) extracted to ${outName}`);
  }
  return code;
}
