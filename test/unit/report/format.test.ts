/** Display text (src/report/format.ts): RFC 5952 address text, escaping of packet-derived strings, times and sizes. */

import { spawnSync } from 'node:child_process';
import ip6addr from 'ip6addr';
import { describe, expect, it } from 'vitest';
import { addressText, byteSize, escapeCsv, escapeHtml, escapeMarkdown, escapeTerminal, ipv6Text, isoTime, shellQuote } from '../../../src/report/format.js';

function bytesOf(text: string): Uint8Array {
  return new Uint8Array(ip6addr.parse(text).toBuffer());
}

/** A deterministic generator of addresses rich in zero groups, so every run length and tie occurs. */
function* addresses(n: number): Generator<Uint8Array> {
  let s = 0x9e3779b9;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let k = 0; k < n; k++) {
    const a = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      if (next() % 3 === 0) continue; // a zero group
      const v = next() & 0xffff;
      a[2 * i] = v >> 8;
      a[2 * i + 1] = v & 0xff;
    }
    yield a;
  }
}

describe('ipv6Text (RFC 5952)', () => {
  it('formats the RFC 5952 examples and the DirectAccess address kinds as tshark does', () => {
    const cases: Array<[string, string]> = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // §4.1 leading zeros, §4.2.1 longest run
      ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // §4.2.3 first of two equal runs
      ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'], // §4.2.3 the longer run
      ['2001:0000:4136:e378:8000:63bf:3fff:fdd2', '2001:0:4136:e378:8000:63bf:3fff:fdd2'], // Teredo
      ['fe80:0000:0000:0000:08d4:1c2b:3a4d:5e6f', 'fe80::8d4:1c2b:3a4d:5e6f'],
      ['2002:c000:0201:0000:0000:0000:c000:0201', '2002:c000:201::c000:201'], // 6to4
      ['fe80:0000:0000:0000:0000:5efe:c000:0201', 'fe80::5efe:c000:201'], // ISATAP: hex, as tshark prints it
      ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
      ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
      ['0001:0000:0000:0000:0000:0000:0000:0000', '1::'],
      ['0000:0000:0000:0000:0000:ffff:c000:0201', '::ffff:192.0.2.1'], // §5 IPv4-mapped
      ['ABCD:EF01:0000:0000:0000:0000:0000:0000', 'abcd:ef01::'], // §4.3 lower case
    ];
    for (const [full, text] of cases) expect(ipv6Text(bytesOf(full), 0), full).toBe(text);
  });

  it('reads the address at an offset', () => {
    const buf = new Uint8Array(24);
    buf.set(bytesOf('2001:db8::7'), 8);
    expect(ipv6Text(buf, 8)).toBe('2001:db8::7');
  });

  it('agrees with ip6addr on 20,000 addresses, except where ip6addr shortens a single zero group', () => {
    let singleGroupCases = 0;
    for (const a of addresses(20_000)) {
      const ours = ipv6Text(a, 0);
      // Round trip: what we print parses back to the same bytes.
      expect(bytesOf(ours)).toEqual(a);
      const groups = Array.from({ length: 8 }, (_, i) => (a[2 * i]! << 8) | a[2 * i + 1]!);
      const theirs = ip6addr.parse(groups.map((g) => g.toString(16)).join(':')).toString({ zeroElide: true, zeroPad: false });
      if (theirs === ours) continue;
      // The only allowed difference: ip6addr wrote "::" for one zero group, which §4.2.2 forbids.
      expect(ours.includes('::'), `${theirs} vs ${ours}`).toBe(false);
      expect(theirs.replace('::', ':0:').replace(/^:0:/, '0:').replace(/:0:$/, ':0'), `${theirs} vs ${ours}`).toBe(ours);
      singleGroupCases++;
    }
    expect(singleGroupCases).toBeGreaterThan(100); // the generator did exercise the difference
  });

  it('shows IPv4-mapped addresses as a dotted quad in addressText', () => {
    expect(addressText(bytesOf('::ffff:203.0.113.10'))).toBe('203.0.113.10');
    expect(addressText(bytesOf('::1:ffff:cb00:710a'))).toBe('::1:ffff:cb00:710a');
  });
});

describe('escapeTerminal', () => {
  it('makes control characters, separators and bidirectional overrides visible', () => {
    expect(escapeTerminal('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(escapeTerminal('\x1b[2J\x00\x7f\x9b')).toBe('\\x1b[2J\\x00\\x7f\\x9b');
    expect(escapeTerminal('evil\u202egpj.exe\u2028x\u200b\ufeff')).toBe('evil\\u202egpj.exe\\u2028x\\u200b\\ufeff');
    expect(escapeTerminal('back\\slash')).toBe('back\\\\slash'); // so an escape in the data cannot pass for ours
  });

  it('keeps ordinary text, including non-ASCII letters, unchanged', () => {
    expect(escapeTerminal('client2.corp.contoso.example')).toBe('client2.corp.contoso.example');
    expect(escapeTerminal('Müller-PC ✓ 日本')).toBe('Müller-PC ✓ 日本');
  });

  it('leaves no C0 or C1 control character among the first 256 code points', () => {
    const hostile = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const out = escapeTerminal(hostile);
    expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });
});

describe('escapeMarkdown', () => {
  it('escapes what would break a table cell or add markup', () => {
    expect(escapeMarkdown('a|b')).toBe('a\\|b');
    expect(escapeMarkdown('<script>x</script>')).toBe('\\<script\\>x\\</script\\>');
    expect(escapeMarkdown('*bold* _it_ `code` [link](x)')).toBe('\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x)');
    expect(escapeMarkdown('line\nbreak')).toBe('line\\\\nbreak');
    expect(escapeMarkdown('line\nbreak')).not.toContain('\n');
  });
});

describe('escapeMarkdown: no link can be formed', () => {
  it('breaks bare URLs, www. and e-mail autolinks', () => {
    expect(escapeMarkdown('http://evil.example/x')).toBe('http\\://evil.example/x');
    expect(escapeMarkdown('see WWW.evil.example')).toBe('see WWW\\.evil.example');
    expect(escapeMarkdown('admin@evil.example')).toBe('admin\\@evil.example');
    expect(escapeMarkdown('[a](http://evil)')).toBe('\\[a\\](http\\://evil)');
    // Words that merely contain "www" are left alone.
    expect(escapeMarkdown('awww.x')).toBe('awww.x');
  });
});

describe('escapeHtml', () => {
  it('leaves no markup, attribute break or control character', () => {
    expect(escapeHtml('<img src=x onerror="alert(1)">')).toBe('&#60;img src=x onerror=&#34;alert(1)&#34;&#62;');
    expect(escapeHtml("a'b & c")).toBe('a&#39;b &#38; c');
    expect(escapeHtml('red\x1b[31m\u202e')).toBe('red\\x1b[31m\\u202e');
    const all = escapeHtml(Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join(''));
    expect(all).not.toMatch(/[<>"'\x00-\x1f\x7f-\x9f]/);
    expect(all.replace(/&#[0-9]+;/g, '')).not.toContain('&');
  });
});

describe('escapeCsv', () => {
  it('quotes what would split a field and defuses formulas', () => {
    expect(escapeCsv('plain')).toBe('plain');
    expect(escapeCsv('a,b')).toBe('"a,b"');
    expect(escapeCsv('say "hi"')).toBe('"say ""hi"""');
    expect(escapeCsv('=HYPERLINK("http://evil")')).toBe('"\'=HYPERLINK(""http://evil"")"');
    for (const lead of ['+', '-', '@']) expect(escapeCsv(`${lead}1+1`)).toBe(`'${lead}1+1`);
    expect(escapeCsv('\t=1')).toBe('\\t=1');
    expect(escapeCsv('two\nlines')).toBe('two\\nlines');
  });
});

describe('shellQuote', () => {
  it('gives a word sh reads back as the same text, expanding nothing', () => {
    const words = ['plain.pcapng', "it's", '$(touch x)', '`id`', 'a b', '"q"', '\\', '*', '-Y', 'frame.number in {1,2}', '', '~', 'a;b', 'a|b'];
    for (const w of words) {
      const r = spawnSync('sh', ['-c', `printf '%s' ${shellQuote(w)}`], { encoding: 'utf8' });
      expect(r.stdout).toBe(w);
    }
    expect(shellQuote('plain.pcapng')).toBe('plain.pcapng');
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});

describe('times and sizes', () => {
  it('truncates fractions to the resolution, never rounds', () => {
    expect(isoTime(1764140400, 999_999_999, 6)).toBe('2025-11-26T07:00:00.999999Z');
    expect(isoTime(1764140400, 5, 9)).toBe('2025-11-26T07:00:00.000000005Z');
    expect(isoTime(1764140400, 500_000_000, 0)).toBe('2025-11-26T07:00:00Z');
  });

  it('states out-of-range times instead of throwing', () => {
    expect(isoTime(1e15, 0, 6)).toBe('1000000000000000.000000000s since 1970');
  });

  it('gives exact bytes and a rounded decimal unit', () => {
    expect(byteSize(999)).toBe('999 bytes');
    expect(byteSize(1_234_567)).toBe('1,234,567 bytes (1.2 MB)');
  });
});
