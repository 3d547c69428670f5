/** `da-audit verify` on a capture that starts after the IP-HTTPS tunnel came up (issue 13 item 1; protocols §1.3–1.4): the clear session inside is still found. */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { editPcapng } from '../helpers/pcapng-edit.js';
import { testTempDir } from '../helpers/temp.js';
import { expectSchemaValid } from '../helpers/schema.js';

interface Session {
  verdict: string;
  service: { name: string };
}

function sessions(path: string): { code: number | null; list: Session[] } {
  const out = cli(['verify', '--format', 'json', path]);
  const doc = JSON.parse(out.stdout) as { files: { sessions: Session[] }[] };
  expectSchemaValid(doc);
  return { code: out.code, list: doc.files[0]!.sessions };
}

describe('verify on sample-directaccess.pcapng cut before the IP-HTTPS handshake', () => {
  it('from frame 30 on (editcap -r … 30-184): the clear Remote Assistance session is reported again, exit 1', () => {
    const dir = testTempDir('da-verify-cut-');
    const path = join(dir, 'cut.pcapng');
    const bytes = readFileSync('fixtures/captures/sample-directaccess.pcapng');
    writeFileSync(path, editPcapng(bytes, { packets: (p) => p.slice(29) }));
    const whole = sessions('fixtures/captures/sample-directaccess.pcapng');
    const cut = sessions(path);
    const clear = (l: Session[]) => l.filter((s) => s.verdict === 'clear' && s.service.name === 'remote-assistance');
    expect(clear(whole.list)).toHaveLength(1);
    expect(clear(cut.list)).toHaveLength(1);
    expect(cut.code).toBe(1);
  });
});
