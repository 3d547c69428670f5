/**
 * Safe output (issue 15 item 4): a capture whose DNS names, SNI and RDP cookie are hostile, under a hostile file name,
 * written as an evidence bundle: each medium (HTML, Markdown, CSV, shell, pcapng comments, terminal) shows the text
 * and obeys none of it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvidenceDocument } from '../../src/evidence/document.js';
import { escapeHtml, escapeMarkdown } from '../../src/report/format.js';
import { cli } from '../helpers/cli.js';
import { HOSTILE, hostileScenario } from '../helpers/fixtures/hostile.js';
import { HAVE_TSHARK, run } from '../helpers/inputs.js';
import { expectSchemaValid } from '../helpers/schema.js';
import { suiteTempDir } from '../helpers/temp.js';

/** RFC 4180 fields of a CSV text: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += c;
  }
  return rows;
}

describe('evidence with hostile strings', () => {
  const tmp = suiteTempDir('da-evidence-hostile-');
  // A file name that is itself an attack on a shell, Markdown and HTML.
  const input = join(tmp, "cap $(touch PWNED0) <b>'x`id`.pcapng");
  writeFileSync(input, hostileScenario().bytes());
  const out = join(tmp, 'bundle \x1b[31m');
  const made = cli(['evidence', '-o', out, input]);
  const d = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as EvidenceDocument;
  const named = [...d.files[0]!.sessions, ...d.files[0]!.pairs].filter((r) => r.b.names.includes(HOSTILE.dnsName));

  it('the hostile DNS name reaches the report (so every medium below is really tested)', () => {
    expect(made.code).toBe(1);
    expectSchemaValid(d);
    expect(named.length).toBeGreaterThanOrEqual(2);
    expect(d.evidence.inputs[0]!.name).toBe('cap___touch_PWNED0___b__x_id_.pcapng');
    expect(d.files[0]!.sessions.some((r) => r.service.basis.includes("mstshash=x'|<b>y</b>"))).toBe(true);
  });

  it('terminal: no escape sequence or control character reaches standard error or a verify table', () => {
    expect(made.stderr).toContain('bundle \\x1b[31m');
    expect(made.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    const table = cli(['verify', '--width', '0', input]);
    expect(table.stdout).toContain('\\x1b[31mred\\x07');
    expect(table.stdout + table.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it('HTML: the name is text, not markup; no element but those the page itself writes', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(escapeHtml(HOSTILE.dnsName));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    const tags = new Set([...html.matchAll(/<([a-zA-Z0-9]+)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(['body', 'br', 'circle', 'code', 'em', 'figcaption', 'figure', 'g', 'h1', 'h2', 'h3', 'head', 'html', 'line', 'meta', 'p', 'pre', 'section', 'span', 'strong', 'style', 'svg', 'table', 'tbody', 'td', 'text', 'th', 'thead', 'title', 'tr']);
  });

  it('Markdown: every table row keeps its columns, and no link or markup is formed', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain(escapeMarkdown(HOSTILE.dnsName));
    const lines = md.split('\n').filter((l) => l.includes('PWNED)'));
    const rows = lines.filter((l) => l.startsWith('|'));
    // In the report to scan (headings) and in the full evidence (table rows).
    expect(lines.length - rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    // Six columns: seven pipes that are not escaped.
    for (const row of rows) expect(row.match(/(?<!\\)\|/g)).toHaveLength(7);
    for (const line of lines) {
      // <br> is the renderer's own line break inside a cell; a reason code in a code span is the renderer's own too.
      expect(line.replaceAll('<br>', ' ').replace(/\(`[a-z0-9_]+(\.[a-z0-9_]+)+`\)/g, '()')).not.toMatch(/(?<!\\)[[\]<>`]/);
      expect(line).not.toMatch(/(?<!\\):\/\//);
    }
    expect(md).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it('CSV: every row has the head\'s columns, and no field starts a formula', () => {
    const rows = parseCsv(readFileSync(join(out, 'verdicts.csv'), 'utf8'));
    expect(rows.length).toBe(1 + d.files[0]!.sessions.length + d.files[0]!.pairs.length);
    for (const r of rows) {
      expect(r).toHaveLength(rows[0]!.length);
      for (const f of r) expect(f).not.toMatch(/^[=+\-@\t\r]/);
    }
    const names = rows.slice(1).map((r) => r[rows[0]!.indexOf('b_names')]);
    expect(names).toContain(`'${HOSTILE.dnsName.replace('\x1b', '\\x1b').replace('\x07', '\\x07')}`);
  });

  it('shell: recheck.sh runs no command taken from the capture or the file name', () => {
    const work = join(tmp, 'work');
    mkdirSync(work);
    const r = run('sh', ['-c', `cd '${work}' && TSHARK=true sh "${join(out, 'recheck.sh')}" '${tmp}'`]);
    expect(r.status).toBe(0);
    expect(readdirSync(work)).toEqual([]);
    expect(existsSync(join(tmp, 'PWNED0'))).toBe(false);
    expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it.skipIf(!HAVE_TSHARK)('pcapng comments: name the bundle name, never the hostile path', () => {
    const comments = run('tshark', ['-r', join(out, 'evidence.pcapng'), '-T', 'fields', '-e', 'frame.comment']).stdout.trim().split('\n');
    expect(comments.length).toBeGreaterThan(0);
    for (const c of comments) expect(c.startsWith(`${d.evidence.inputs[0]!.name} frame `)).toBe(true);
  });
});

describe('summary with the hostile SNI and names (the other reports that show packet strings)', () => {
  const tmp = suiteTempDir('da-summary-hostile-');
  const input = join(tmp, 'hostile.pcapng');
  writeFileSync(input, hostileScenario().bytes());

  it('Markdown: the SNI is text in every row; no markup, link or control character', () => {
    const md = cli(['summary', '--format', 'md', input]);
    expect(md.stdout).toContain(`SNI ${escapeMarkdown(HOSTILE.sni)}`);
    const rows = md.stdout.split('\n').filter((l) => l.includes('evil'));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row.replaceAll('<br>', ' ')).not.toMatch(/(?<!\\)[<>`]|(?<!\\):\/\//);
    expect(md.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it('terminal: no escape sequence reaches the table', () => {
    const table = cli(['summary', '--width', '0', input]);
    expect(table.stdout).toContain(HOSTILE.sni);
    expect(table.stdout).toContain('\\x1b[31mred\\x07');
    expect(table.stdout + table.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});
