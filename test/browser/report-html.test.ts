/**
 * report.html in a real browser (issue 15 item 5): headless Chromium (Debian's `chromium`, driven by playwright-core)
 * opens it from file://: no console error, no request beyond the file itself, every verdict and deciding frame in the
 * rendered text, each SVG timeline drawn, a hostile capture's markup inert, a screenshot and an A4 PDF written.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceDocument } from '../../src/evidence/document.js';
import { cli } from '../helpers/cli.js';
import { HOSTILE, hostileScenario } from '../helpers/fixtures/hostile.js';
import { ROOT } from '../helpers/inputs.js';
import { suiteTempDir } from '../helpers/temp.js';

/** The browser: $CHROMIUM, else Debian's package (which .ci/run installs). */
const BROWSER = [process.env['CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && existsSync(p));
if (BROWSER === undefined) console.warn('report.html browser tests skipped: no Chromium found (set $CHROMIUM or install the chromium package)');
/** Screenshots and the PDF go to the test output folder (reports/ is not committed). */
const OUTPUT = join(ROOT, 'reports', 'browser');

describe.skipIf(BROWSER === undefined)('report.html in headless Chromium', () => {
  const tmp = suiteTempDir('da-evidence-browser-');
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: BROWSER!, headless: true, args: ['--no-sandbox'] });
    mkdirSync(OUTPUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a bundle's report.html; returns the page and everything it logged and asked for. */
  async function open(dir: string) {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const problems: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(join(dir, 'report.html')).href;
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    // Anything but the page itself is refused, so a request cannot leave even if one were made.
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });
    return { page, problems, requests, url };
  }

  it('the sample bundle: no console error, no other request, every verdict and deciding frame shown, timelines drawn', async () => {
    const dir = join(tmp, 'sample');
    expect(cli(['evidence', '-o', dir, 'fixtures/captures/sample-directaccess.pcapng', 'fixtures/captures/verify-two-interfaces.pcapng']).code).toBe(1);
    const d = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as EvidenceDocument;
    const { page, problems, requests, url } = await open(dir);
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    const text = await page.locator('body').innerText();
    const records = d.files.flatMap((f) => [...f.sessions, ...f.pairs]);
    for (const r of records) {
      expect(text).toContain(r.verdict.toUpperCase());
      const frames = r.frames.deciding.length > 0 ? r.frames.deciding : r.evidence.map((e) => e.frame);
      expect(text).toContain(`deciding frames ${frames.join(', ')}`);
    }
    // One figure per record, in the page's order: per file, the pairs, then the sessions.
    const drawn = d.files.flatMap((f) => [...f.pairs, ...f.sessions]);
    const svgs = page.locator('figure svg');
    expect(await svgs.count()).toBe(drawn.length);
    for (const [i, r] of drawn.entries()) {
      const svg = svgs.nth(i);
      const box = await svg.boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(20);
      // Each deciding frame is a marker labelled with its number, laid out by the browser.
      const labels = await svg.locator('g text').allTextContents();
      const frames = r.frames.deciding.length > 0 ? r.frames.deciding : r.evidence.map((e) => e.frame);
      for (const n of frames) expect(labels).toContain(String(n));
      const marker = await svg.locator('circle[fill="#c00"]').first().boundingBox();
      expect(marker!.width).toBeGreaterThan(0);
    }
    // The inline style applies: verdict cells are coloured by verdict. (Run in the page, where globalThis is the window;
    // the tests' types have no DOM.)
    const color = (e: unknown): string => (globalThis as unknown as { getComputedStyle(x: unknown): { color: string } }).getComputedStyle(e).color;
    expect(await page.locator('td.v-clear').first().evaluate(color)).toBe('rgb(187, 0, 0)');
    expect(await page.locator('td.v-encrypted').first().evaluate(color)).toBe('rgb(0, 119, 85)');
    const shot = join(OUTPUT, 'report-sample.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    // Printed on A4: the PDF Chromium writes for it is A4 (595 × 842 points) on every page.
    const pdf = await page.pdf({ preferCSSPageSize: true });
    writeFileSync(join(OUTPUT, 'report-sample.pdf'), pdf);
    const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]/g)];
    expect(boxes.length).toBeGreaterThan(0);
    for (const b of boxes) expect([Math.round(Number(b[1])), Math.round(Number(b[2]))]).toEqual([595, 842]);
    await page.close();
  });

  it('a hostile capture: its markup stays text, no script runs, no element is added', async () => {
    const input = join(tmp, 'hostile.pcapng');
    writeFileSync(input, hostileScenario().bytes());
    const dir = join(tmp, 'hostile');
    expect(cli(['evidence', '-o', dir, input]).code).toBe(1);
    const { page, problems, requests, url } = await open(dir);
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    expect(await page.locator('script, img, iframe, a, link, object').count()).toBe(0);
    const text = await page.locator('body').innerText();
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain(HOSTILE.dnsName.replace('\x1b', '\\x1b').replace('\x07', '\\x07'));
    await page.screenshot({ path: join(OUTPUT, 'report-hostile.png'), fullPage: true });
    await page.close();
  });
});
