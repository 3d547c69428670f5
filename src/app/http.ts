/** HTTP/1.1 request and response heads (RFC 9112 §2–5) and the IP-HTTPS exchange they carry (MS-IPHTTPS §3.1.5.2, §3.2.5.1, §4.1). */

import { A, anomalyDef } from '../anomalies/registry.js';
import { StreamBuffer } from './stream.js';

/** An anomaly met by an app parser, with the frame it was met in (for evidence and for the recorder). */
export interface AppAnomaly {
  code: number;
  /** Stable `layer.snake_case` id from the registry. */
  id: string;
  frame: number;
}

/** Anomalies kept per session: enough to explain it, bounded whatever the input. */
const MAX_ANOMALIES = 32;

/** Appends an anomaly to `list` (up to 32 per session). */
export function noteAnomaly(list: AppAnomaly[], code: number, frame: number): void {
  if (list.length < MAX_ANOMALIES) list.push({ code, id: anomalyDef(code).id, frame });
}

/** Bytes as ISO-8859-1 text: every byte maps to one character, so nothing is lost or replaced. */
export function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

export interface HttpHead {
  /** 'invalid': the bytes cannot start an HTTP head (`anomalies` says why); nothing else is set. */
  kind: 'request' | 'response' | 'invalid';
  method: string | null;
  target: string | null;
  /** "HTTP/1.1"; '' when invalid. */
  version: string;
  status: number | null;
  reason: string | null;
  /** Field names in lower case (they are case-insensitive) → values; repeated fields joined with ", " (RFC 9110 §5.3). */
  headers: Record<string, string>;
  /**
   * Bytes read from `start`: through the empty line that ends the head, or, when a bound stopped the
   * reading (line too long, too many headers, invalid start), up to and including where it stopped.
   */
  length: number;
  /** Anomaly codes (A.Http*), each once. */
  anomalies: number[];
}

/** RFC 9112 §2.3 and §5: no line of the head may exceed this (the line ending not counted). */
const MAX_LINE = 8192;
/** Header fields read per head. */
const MAX_HEADERS = 100;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;

/** tchar (RFC 9110 §5.6.2): the characters of a token, such as a method or a field name. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

const HTTP_NAME = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

/**
 * Whether the first token (up to the first SP or line end) is invalid already: a request starts with
 * a method (tchar+), a response with "HTTP/" and version digits. Checking the bytes present, even
 * before the line ends, rejects binary data (a TLS record, an IPv6 packet) at once instead of waiting
 * for 8 KiB. Returns the offset of the first impossible byte, or −1.
 */
function badFirstToken(b: Uint8Array, start: number, end: number): number {
  let p = start;
  let httpPrefix = true; // the token so far is a prefix of "HTTP/…"
  for (; p < end; p++) {
    const c = b[p]!;
    if (c === SP || c === LF || c === CR) return p === start ? p : -1;
    const i = p - start;
    if (httpPrefix && i < HTTP_NAME.length) {
      if (c === HTTP_NAME[i]) continue;
      httpPrefix = false;
    } else if (httpPrefix) {
      if ((c >= 0x30 && c <= 0x39) || c === 0x2e) continue;
      return p;
    }
    if (!isTchar(c)) return p;
  }
  return -1;
}

/** Where the line starting at `p` ends: the LF's index, −1 when not in the bytes given, −2 when longer than 8 KiB. */
function findLineEnd(b: Uint8Array, p: number, end: number): number {
  const stop = Math.min(end, p + MAX_LINE + 2); // the line, a CR and the LF
  for (let i = p; i < stop; i++) {
    if (b[i] === LF) {
      const content = i > p && b[i - 1] === CR ? i - 1 - p : i - p;
      return content > MAX_LINE ? -2 : i;
    }
  }
  return end - p > MAX_LINE + 1 ? -2 : -1;
}

/** End of a line's content: before the CR of a CRLF, or before a bare LF (RFC 9112 §2.2 lets a recipient accept it). */
function contentEnd(b: Uint8Array, lineStart: number, lf: number): number {
  return lf > lineStart && b[lf - 1] === CR ? lf - 1 : lf;
}

function isVersion(s: string): boolean {
  return /^HTTP\/\d\.\d$/.test(s);
}

function emptyHead(kind: HttpHead['kind'], length: number, anomaly: number): HttpHead {
  return { kind, method: null, target: null, version: '', status: null, reason: null, headers: Object.create(null) as Record<string, string>,
    length, anomalies: [anomaly] };
}

/**
 * Parses an HTTP request or response head in b[start, end). Returns null while the head is not complete
 * in the bytes given (more may come); otherwise the head, possibly with anomalies. Reads nothing outside
 * [start, end) and holds at most 100 fields of lines up to 8 KiB.
 */
export function parseHttpHead(b: Uint8Array, start: number, end: number): HttpHead | null {
  if (end > b.length) end = b.length;
  if (start >= end) return null;
  const bad = badFirstToken(b, start, end);
  if (bad >= 0) return emptyHead('invalid', bad - start + 1, A.HttpBadStartLine);
  const lf = findLineEnd(b, start, end);
  if (lf === -2) return emptyHead('invalid', MAX_LINE, A.HttpLineTooLong);
  if (lf === -1) return null;
  const head = startLine(latin1(b, start, contentEnd(b, start, lf)));
  if (head === null) return emptyHead('invalid', lf + 1 - start, A.HttpBadStartLine);
  let p = lf + 1;
  let count = 0;
  let last = ''; // the previous field's name, for obs-fold
  const note = (code: number): void => {
    if (!head.anomalies.includes(code)) head.anomalies.push(code);
  };
  for (;;) {
    if (p >= end) return null;
    if (count === MAX_HEADERS && b[p] !== CR && b[p] !== LF) {
      note(A.HttpTooManyHeaders);
      head.length = p - start;
      return head;
    }
    const e = findLineEnd(b, p, end);
    if (e === -1) return null;
    if (e === -2) {
      note(A.HttpLineTooLong);
      head.length = p - start;
      return head;
    }
    const ce = contentEnd(b, p, e);
    if (ce === p) {
      head.length = e + 1 - start;
      return head;
    }
    if (b[p] === SP || b[p] === HT) {
      // obs-fold (RFC 9112 §5.2): a continuation of the previous field's value, replaced by one SP.
      note(A.HttpObsoleteLineFolding);
      if (last !== '') head.headers[last] += ' ' + latin1(b, p, ce).trim();
      else note(A.HttpBadHeaderLine);
    } else {
      let colon = p;
      while (colon < ce && isTchar(b[colon]!)) colon++;
      // RFC 9112 §5.1: a field name is a token, followed directly by ':' (whitespace before it is an error).
      if (colon === p || colon === ce || b[colon] !== 0x3a) {
        note(A.HttpBadHeaderLine);
      } else {
        count++;
        const name = latin1(b, p, colon).toLowerCase();
        const value = latin1(b, colon + 1, ce).replace(/^[ \t]+|[ \t]+$/g, '');
        const prev = head.headers[name];
        head.headers[name] = prev === undefined ? value : `${prev}, ${value}`;
        last = name;
      }
    }
    p = e + 1;
  }
}

/** request-line = method SP request-target SP HTTP-version; status-line = HTTP-version SP 3DIGIT SP [reason] (RFC 9112 §3, §4). */
function startLine(line: string): HttpHead | null {
  const headers = Object.create(null) as Record<string, string>;
  if (line.startsWith('HTTP/')) {
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(line);
    if (m === null) return null;
    return { kind: 'response', method: null, target: null, version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', headers, length: 0, anomalies: [] };
  }
  const parts = line.split(' ');
  if (parts.length !== 3 || !isVersion(parts[2]!) || parts[1]!.length === 0 || /[\x00-\x20\x7f]/.test(parts[1]!)) return null;
  return { kind: 'request', method: parts[0]!, target: parts[1]!, version: parts[2]!, status: null, reason: null, headers, length: 0, anomalies: [] };
}

/** MS-IPHTTPS §3.1.5.2: the client's Content-Length SHOULD be 2^64 − 1 (kept as text: it exceeds a double's precision). */
export const IPHTTPS_CONTENT_LENGTH = '18446744073709551615';
/** The HTTP.sys signature in the Server header of the IP-HTTPS server's response (MS-IPHTTPS §4.1). */
export const IPHTTPS_SERVER = 'Microsoft-HTTPAPI/2.0';

export interface HttpRequestFacts {
  /** Frame that delivered the last byte of the head. */
  frame: number;
  method: string;
  target: string;
  version: string;
  headers: Record<string, string>;
  /** The definitive IP-HTTPS signal (protocols §1.6): POST with Content-Length 18446744073709551615. */
  ipHttps: boolean;
}

export interface HttpResponseFacts {
  frame: number;
  version: string;
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** The strong IP-HTTPS signal (protocols §1.6): 200 with Server: Microsoft-HTTPAPI/2.0 and no Content-Length. */
  ipHttps: boolean;
}

/** The first request and response heads of a connection. */
export interface HttpExchange {
  request: HttpRequestFacts | null;
  response: HttpResponseFacts | null;
}

/**
 * One direction's first HTTP head: bytes in (TCP segments, or NULL-cipher TLS plaintext), facts out into
 * `exchange` (the request for the client, the response for the server). Shared by HttpSession and TlsSession.
 */
export class HttpHeadReader {
  private readonly stream: StreamBuffer;
  private readonly fromClient: boolean;
  private readonly exchange: HttpExchange;
  private readonly anomalies: AppAnomaly[];
  private over = false;

  constructor(fromClient: boolean, exchange: HttpExchange, anomalies: AppAnomaly[], limit = 16384) {
    this.fromClient = fromClient;
    this.exchange = exchange;
    this.anomalies = anomalies;
    this.stream = new StreamBuffer(limit);
  }

  /** True once the head was read, or never can be (invalid bytes, too long, a missing segment). */
  get finished(): boolean {
    return this.over;
  }

  /** Adds bytes (see StreamBuffer.add) and reads the head as soon as it is complete. */
  add(seq: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    if (this.over) return;
    const s = this.stream;
    s.add(seq, buf, start, end, frame);
    const head = parseHttpHead(s.bytes(), 0, s.length);
    if (head === null) {
      // Incomplete: more bytes can only come if nothing was dropped and nothing is missing.
      if (s.full) this.finish(A.HttpHeadTooLong, s.frameAt(s.length - 1));
      else if (s.gap) this.finish(A.HttpStreamGap, frame);
      return;
    }
    this.over = true;
    const at = s.frameAt(Math.min(head.length, s.length) - 1);
    for (const code of head.anomalies) noteAnomaly(this.anomalies, code, at);
    if (head.kind === 'invalid') return;
    if (this.fromClient && head.kind === 'request') {
      const h = head.headers;
      this.exchange.request = { frame: at, method: head.method!, target: head.target!, version: head.version, headers: h,
        ipHttps: head.method === 'POST' && h['content-length'] === IPHTTPS_CONTENT_LENGTH };
    } else if (!this.fromClient && head.kind === 'response') {
      const h = head.headers;
      this.exchange.response = { frame: at, version: head.version, status: head.status!, reason: head.reason!, headers: h,
        ipHttps: head.status === 200 && h['server'] === IPHTTPS_SERVER && h['content-length'] === undefined };
    } else {
      noteAnomaly(this.anomalies, A.HttpBadStartLine, at);
    }
  }

  private finish(code: number, frame: number): void {
    this.over = true;
    noteAnomaly(this.anomalies, code, frame);
  }
}

/** A proxy tunnel request (RFC 9110 §9.3.6): `CONNECT host:port`, as IP-HTTPS clients send behind a proxy (MS-IPHTTPS §4.1). */
export interface ConnectFacts {
  frame: number;
  host: string;
  /** null when the target has no valid port. */
  port: number | null;
}

export interface HttpFacts extends HttpExchange {
  connect: ConnectFacts | null;
  anomalies: AppAnomaly[];
}

/** Splits an authority-form target: `host:port` or `[v6 literal]:port`. */
function connectTarget(target: string): { host: string; port: number | null } {
  const m = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(target);
  if (m === null || m[1]!.length === 0 || Number(m[2]) > 65535) return { host: target, port: null };
  return { host: m[1]!, port: Number(m[2]) };
}

/**
 * HTTP on a plain TCP connection: IP-HTTPS behind a TLS-terminating proxy (MS-IPHTTPS §1.3, §5.1), or a
 * proxy CONNECT before TLS. Fed per direction like TlsSession; reads the first request and response head.
 */
export class HttpSession {
  readonly facts: HttpFacts = { request: null, response: null, connect: null, anomalies: [] };
  private readonly client = new HttpHeadReader(true, this.facts, this.facts.anomalies);
  private readonly server = new HttpHeadReader(false, this.facts, this.facts.anomalies);

  /** True when both heads were read or can no longer be. */
  get done(): boolean {
    return this.client.finished && this.server.finished;
  }

  feed(fromClient: boolean, seq: number, buf: Uint8Array, start: number, end: number, frame: number): void {
    if (!fromClient) {
      this.server.add(seq, buf, start, end, frame);
      return;
    }
    if (this.client.finished) return;
    this.client.add(seq, buf, start, end, frame);
    const req = this.facts.request;
    if (req !== null && req.method === 'CONNECT') {
      const t = connectTarget(req.target);
      this.facts.connect = { frame: req.frame, host: t.host, port: t.port };
      if (t.port === null) noteAnomaly(this.facts.anomalies, A.HttpBadConnectTarget, req.frame);
    }
  }
}
