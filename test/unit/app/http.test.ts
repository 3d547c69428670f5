/** HTTP heads and HttpSession (src/app/http.ts; RFC 9112 §2–5, RFC 9110 §9.3.6 CONNECT; MS-IPHTTPS §4.1 exchange). */

import { describe, expect, it } from 'vitest';
import { HttpSession, parseHttpHead, type HttpHead } from '../../../src/app/http.js';
import { A, anomalyDef } from '../../../src/anomalies/registry.js';
import { ascii, concat } from '../../helpers/build.js';
import { INNER_IPV6_START, ipHttpsRequest, ipHttpsResponse, record } from '../../helpers/tls-build.js';

const parse = (text: string | Uint8Array): HttpHead | null => {
  const b = typeof text === 'string' ? ascii(text) : text;
  return parseHttpHead(b, 0, b.length);
};
const anomalyIds = (h: HttpHead | null) => (h === null ? null : h.anomalies.map((c) => anomalyDef(c).id));

describe('parseHttpHead', () => {
  it('reads the IP-HTTPS request head (MS-IPHTTPS §4.1) and stops at the empty line', () => {
    const text = ipHttpsRequest();
    const h = parse(concat(ascii(text), INNER_IPV6_START));
    expect(h).toEqual({
      kind: 'request', method: 'POST', target: '/IPHTTPS', version: 'HTTP/1.1', status: null, reason: null,
      headers: { host: 'da.contoso.example', 'content-length': '18446744073709551615' }, length: text.length, anomalies: [],
    });
  });

  it('reads the IP-HTTPS response head', () => {
    const text = ipHttpsResponse();
    expect(parse(text)).toEqual({
      kind: 'response', method: null, target: null, version: 'HTTP/1.1', status: 200, reason: 'OK',
      headers: { server: 'Microsoft-HTTPAPI/2.0', date: 'Wed, 26 Nov 2025 07:00:00 GMT' }, length: text.length, anomalies: [],
    });
  });

  it('returns null for every incomplete prefix of a head', () => {
    for (const text of [ipHttpsRequest(), ipHttpsResponse()]) {
      for (let n = 0; n < text.length; n++) expect(parse(text.slice(0, n)), `${n}`).toBeNull();
    }
  });

  it('reads only b[start, end): bytes around the head are not part of it', () => {
    const text = ipHttpsResponse();
    const b = concat(ascii('garbage!'), ascii(text), ascii('X-After: 1\r\n\r\n'));
    const h = parseHttpHead(b, 8, 8 + text.length);
    expect(h?.headers).toEqual({ server: 'Microsoft-HTTPAPI/2.0', date: 'Wed, 26 Nov 2025 07:00:00 GMT' });
    expect(h?.length).toBe(text.length);
    expect(parseHttpHead(b, 8, 8 + text.length - 1)).toBeNull();
    expect(parseHttpHead(b, 8, 1000)?.length).toBe(text.length); // an end past the buffer is clamped
  });

  it('accepts bare LF line ends (RFC 9112 §2.2), a status line without reason, OWS around values', () => {
    expect(parse('HTTP/1.0 204\nX-A:\t spaced \t\n\n')).toMatchObject({ kind: 'response', status: 204, reason: '', headers: { 'x-a': 'spaced' }, length: 29, anomalies: [] });
  });

  it('field names are case-insensitive: lower-cased; repeated fields are joined with ", "', () => {
    expect(parse('GET / HTTP/1.1\r\nAccept: a\r\nACCEPT: b\r\n\r\n')?.headers).toEqual({ accept: 'a, b' });
  });

  it('a field named __proto__ is just a field', () => {
    const h = parse('GET / HTTP/1.1\r\n__proto__: x\r\nconstructor: y\r\n\r\n');
    expect(h?.headers['__proto__']).toBe('x');
    expect(h?.headers['constructor']).toBe('y');
    expect(Object.keys(h!.headers)).toEqual(['__proto__', 'constructor']);
  });

  it('binary data (a TLS record, an IPv6 packet) is invalid at once, without waiting for a line end', () => {
    const tls = record(22, new Uint8Array(40));
    expect(parseHttpHead(tls, 0, 3)).toMatchObject({ kind: 'invalid', length: 1 });
    expect(anomalyIds(parseHttpHead(tls, 0, 3))).toEqual(['http.bad_start_line']);
    expect(anomalyIds(parse(INNER_IPV6_START))).toEqual(['http.bad_start_line']);
    expect(parse('HTTP/1.x')).toMatchObject({ kind: 'invalid', length: 8 });
    expect(parse(' GET / HTTP/1.1\r\n\r\n')).toMatchObject({ kind: 'invalid', length: 1 });
  });

  it.each([
    ['two-part request line', 'GET /\r\n\r\n'],
    ['a bad version', 'GET / HTTP/11\r\n\r\n'],
    ['an empty target', 'GET  HTTP/1.1\r\n\r\n'],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a CR inside the target', 'GET /a\rb HTTP/1.1\r\n\r\n'],
  ])('a complete start line with %s: invalid, http.bad_start_line', (_name, text) => {
    const h = parse(text);
    expect(h?.kind).toBe('invalid');
    expect(anomalyIds(h)).toEqual(['http.bad_start_line']);
  });

  it('lines up to 8 KiB are read; a longer one is http.line_too_long', () => {
    const ok = parse(`GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(8192 - 8)}\r\n\r\n`);
    expect(anomalyIds(ok)).toEqual([]);
    expect(ok?.headers['x-long']).toHaveLength(8192 - 8);
    const start = 'GET / HTTP/1.1\r\n'.length;
    const long = parse(`GET / HTTP/1.1\r\nX-Long: ${'a'.repeat(8192 - 7)}\r\n\r\n`);
    expect(long).toMatchObject({ kind: 'request', length: start, headers: {} });
    expect(anomalyIds(long)).toEqual(['http.line_too_long']);
    // Known too long before its end arrives: 8194 bytes and no line end (8193 could still end in CR LF).
    expect(anomalyIds(parse(`GET / HTTP/1.1\r\nX: ${'a'.repeat(8191)}`))).toEqual(['http.line_too_long']);
    expect(parse(`GET / HTTP/1.1\r\nX: ${'a'.repeat(8190)}`)).toBeNull();
    expect(parse(`GET /${'a'.repeat(9000)}`)).toMatchObject({ kind: 'invalid', anomalies: [A.HttpLineTooLong] });
  });

  it('100 header fields are read; the 101st is http.too_many_headers', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    const ok = parse(`GET / HTTP/1.1\r\n${fields(100)}\r\n`);
    expect(anomalyIds(ok)).toEqual([]);
    expect(Object.keys(ok!.headers)).toHaveLength(100);
    const over = parse(`GET / HTTP/1.1\r\n${fields(101)}\r\n`);
    expect(anomalyIds(over)).toEqual(['http.too_many_headers']);
    expect(Object.keys(over!.headers)).toHaveLength(100);
    expect(over!.headers['x-100']).toBeUndefined();
  });

  it('a header line without a colon, with an empty name or whitespace before the colon: http.bad_header_line, skipped', () => {
    const h = parse('GET / HTTP/1.1\r\nNoColon\r\n: empty\r\nHost : x\r\nHost: y\r\n\r\n');
    expect(anomalyIds(h)).toEqual(['http.bad_header_line']);
    expect(h?.headers).toEqual({ host: 'y' });
    expect(h?.kind).toBe('request');
  });

  it('obs-fold continues the previous value with one space (RFC 9112 §5.2): http.obsolete_line_folding', () => {
    const h = parse('GET / HTTP/1.1\r\nX-A: one\r\n   two\r\n\r\n');
    expect(anomalyIds(h)).toEqual(['http.obsolete_line_folding']);
    expect(h?.headers).toEqual({ 'x-a': 'one two' });
    expect(anomalyIds(parse('GET / HTTP/1.1\r\n two\r\n\r\n'))).toEqual(['http.obsolete_line_folding', 'http.bad_header_line']);
  });
});

describe('HttpSession', () => {
  const ids = (s: HttpSession) => s.facts.anomalies.map((a) => a.id);

  it('IP-HTTPS over plain HTTP fed in pieces: request and response with the frame of their last byte', () => {
    const s = new HttpSession();
    const req = ascii(ipHttpsRequest('/IPHTTPS', '203.0.113.5'));
    s.feed(true, 1, req, 0, 20, 4);
    s.feed(true, 21, req, 20, req.length, 6);
    expect(s.facts.request).toEqual({
      frame: 6, method: 'POST', target: '/IPHTTPS', version: 'HTTP/1.1', headers: { host: '203.0.113.5', 'content-length': '18446744073709551615' }, ipHttps: true,
    });
    expect(s.done).toBe(false);
    const resp = concat(ascii(ipHttpsResponse()), INNER_IPV6_START);
    s.feed(false, 900, resp, 0, resp.length, 7);
    expect(s.facts.response).toMatchObject({ frame: 7, status: 200, reason: 'OK', ipHttps: true });
    expect(s.facts.connect).toBeNull();
    expect(ids(s)).toEqual([]);
    expect(s.done).toBe(true);
  });

  it('the head\'s frame is that of its last byte, not of the segment that completed the buffer', () => {
    const s = new HttpSession();
    const req = concat(ascii(ipHttpsRequest()), INNER_IPV6_START);
    const headEnd = ipHttpsRequest().length;
    s.feed(true, 0, req, 0, headEnd - 1, 1);
    s.feed(true, headEnd - 1, req, headEnd - 1, req.length, 2);
    expect(s.facts.request?.frame).toBe(2);
    const t = new HttpSession();
    t.feed(true, 0, req, 0, headEnd, 1);
    expect(t.facts.request?.frame).toBe(1);
  });

  it('a proxy CONNECT host:port is noticed, with the 200 answer', () => {
    const s = new HttpSession();
    const req = ascii('CONNECT da.contoso.example:443 HTTP/1.1\r\nHost: da.contoso.example:443\r\n\r\n');
    s.feed(true, 0, req, 0, req.length, 3);
    const resp = ascii('HTTP/1.1 200 Connection established\r\n\r\n');
    s.feed(false, 0, resp, 0, resp.length, 4);
    expect(s.facts.connect).toEqual({ frame: 3, host: 'da.contoso.example', port: 443 });
    expect(s.facts.request).toMatchObject({ method: 'CONNECT', target: 'da.contoso.example:443', ipHttps: false });
    expect(s.facts.response).toMatchObject({ status: 200, reason: 'Connection established', ipHttps: false });
    expect(s.done).toBe(true);
  });

  it('CONNECT to an IPv6 literal; a target without a valid port is http.bad_connect_target', () => {
    const feed = (target: string) => {
      const s = new HttpSession();
      const req = ascii(`CONNECT ${target} HTTP/1.1\r\n\r\n`);
      s.feed(true, 0, req, 0, req.length, 1);
      return s;
    };
    expect(feed('[2001:db8::1]:8443').facts.connect).toEqual({ frame: 1, host: '[2001:db8::1]', port: 8443 });
    for (const bad of ['da.contoso.example', 'da.contoso.example:99999', ':443', 'host:44a']) {
      const s = feed(bad);
      expect(s.facts.connect, bad).toEqual({ frame: 1, host: bad, port: null });
      expect(ids(s), bad).toEqual(['http.bad_connect_target']);
    }
  });

  it('a request where the response belongs (or a response from the client): http.bad_start_line, no facts', () => {
    const s = new HttpSession();
    const req = ascii(ipHttpsRequest());
    s.feed(false, 0, req, 0, req.length, 1);
    const resp = ascii(ipHttpsResponse());
    s.feed(true, 0, resp, 0, resp.length, 2);
    expect(s.facts.request).toBeNull();
    expect(s.facts.response).toBeNull();
    expect(ids(s)).toEqual(['http.bad_start_line', 'http.bad_start_line']);
    expect(s.done).toBe(true);
  });

  it('a head that does not end within 16 KiB: http.head_too_long, and the side is done', () => {
    const s = new HttpSession();
    const text = ascii(`GET / HTTP/1.1\r\n${Array.from({ length: 40 }, (_, i) => `X-${i}: ${'v'.repeat(500)}\r\n`).join('')}`);
    for (let at = 0; at < text.length; at += 1000) s.feed(true, at, text, at, Math.min(text.length, at + 1000), 1 + at / 1000);
    expect(ids(s)).toEqual(['http.head_too_long']);
    expect(s.facts.anomalies[0]!.frame).toBe(17);
    expect(s.facts.request).toBeNull();
    expect(s.done).toBe(false);
    const resp = ascii(ipHttpsResponse());
    s.feed(false, 0, resp, 0, resp.length, 30);
    expect(s.done).toBe(true);
  });

  it('a missing segment before the head ends: http.stream_gap', () => {
    const s = new HttpSession();
    const req = ascii(ipHttpsRequest());
    s.feed(true, 100, req, 0, 10, 1);
    s.feed(true, 120, req, 20, req.length, 2);
    expect(ids(s)).toEqual(['http.stream_gap']);
    expect(s.facts.anomalies[0]!.frame).toBe(2);
    s.feed(true, 110, req, 10, req.length, 3);
    expect(s.facts.request).toBeNull();
  });

  it('a retransmitted first segment changes nothing; later bytes are ignored once the head is read', () => {
    const s = new HttpSession();
    const req = ascii(ipHttpsRequest());
    s.feed(true, 0, req, 0, 10, 1);
    s.feed(true, 0, req, 0, 10, 2);
    s.feed(true, 10, req, 10, req.length, 3);
    const other = ascii('POST /other HTTP/1.1\r\n\r\n');
    s.feed(true, req.length, other, 0, other.length, 4);
    expect(s.facts.request).toMatchObject({ frame: 3, target: '/IPHTTPS' });
    expect(ids(s)).toEqual([]);
  });
});
