/** Issue 12 on the trust-* fixtures and precision checks 5a/5b over every fixture and ../shared/corpus; expectations come from the scenarios' ledgers, never from our own output. */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { DA, TEREDO } from '../helpers/fixtures/da-fixtures.js';
import {
  authipNotifyModeNoneScenario, authipQm244Scenario, contextInferredScenario, espEmptyScenario, espNullOspfScenario, espSnaplenScenario,
  espSnaplenShortScenario, icmpAttachedScenario, infra6to4ServerScenario, infraIsatapScenario, infraNullTlsScenario, infraTeredoScenario, TRUST,
} from '../helpers/fixtures/trust-fixtures.js';
import { VERIFY } from '../helpers/fixtures/verify-fixtures.js';
import { CORPUS, HAVE_TSHARK, ROOT, run } from '../helpers/inputs.js';
import { readPackets } from '../helpers/pcapng-edit.js';
import type { FrameRecord, InnerRecord } from '../helpers/scenario.js';
import { suiteTempDir } from '../helpers/temp.js';
import { TSHARK_ARGS } from '../helpers/tshark.js';
import { expectSchemaValid } from '../helpers/schema.js';

const C1 = DA.client1;
const C2 = DA.client2;
const C3 = VERIFY.client3;
const CAPTURES = 'fixtures/captures';
const dir = suiteTempDir('da-audit-trust-');

// --- the report as issue 12 defines it (the JSON contract of the new verify) ---------------------------------------------

/** Every reason, note, cause and assumption: a stable code, its text rendered from code + facts, its frames. */
interface Reason {
  code: string;
  text: string;
  frames: number[];
  facts: Record<string, unknown>;
}

interface EndpointJson {
  address: string;
  port: number | null;
  names: string[];
  class: string;
  role: string;
}

interface RecordJson {
  kind: 'session' | 'pair';
  verdict: string;
  a: EndpointJson;
  b: EndpointJson;
  protocol: string | null;
  service: { name: string };
  state: string | null;
  path: string;
  reasons: Reason[];
  notes: Reason[];
  frames: { first: number; last: number; deciding: number[] };
  negotiations: { protocol: string; outcome: string; initiator?: string; frames?: number[] }[];
}

interface FileReport {
  file: string;
  totals: Record<string, number>;
  sessions: RecordJson[];
  pairs: RecordJson[];
  result: string;
  coverage: (Reason & { blocking: boolean })[];
  esp: { spi: string; verdict: string; confidence: string }[];
  roles: { address: string; role: string; frames: number[]; basis: unknown }[];
  assumptions: Reason[];
}

interface Run {
  code: number | null;
  r: FileReport;
}

/** `verify --format json` on one file. */
function verify(path: string, ...args: string[]): Run {
  const out = cli(['verify', '--format', 'json', ...args, path]);
  const doc = JSON.parse(out.stdout) as { files: FileReport[] };
  expectSchemaValid(doc);
  expect(doc.files).toHaveLength(1);
  return { code: out.code, r: doc.files[0]! };
}

interface SummaryReport {
  servers: { role: string; endpoint: { address: string } }[];
  clients: { role: string; endpoint: { address: string }; transitions: string[] }[];
  transitions: { flow: number; transition: string; client: { address: string }; server: { address: string } }[];
  negotiations: { protocol: string; outcome: string }[];
  topConversations: { flow: number; transition: string; protocol: string; a: { address: string }; b: { address: string } }[];
}

function summary(path: string): SummaryReport {
  const out = cli(['summary', '--format', 'json', '--top', '100', path]);
  return (JSON.parse(out.stdout) as { files: SummaryReport[] }).files[0]!;
}

const numbers = (frames: FrameRecord[]): number[] => frames.map((f) => f.number);
/** The outer frame an IP-HTTPS inner packet is numbered by: the one that delivered its last byte. */
const outer = (p: InnerRecord): number => p.frames[p.frames.length - 1]!;
/** Reasons and notes may be missing or strings in an old report: `code` is then undefined and the assertion says so. */
const codes = (list: unknown[] | undefined): (string | undefined)[] => (list ?? []).map((x) => (x as Partial<Reason> | null)?.code);
const withCode = (list: unknown[] | undefined, code: string): Reason[] => ((list ?? []) as Reason[]).filter((x) => x?.code === code);
const statements = (x: RecordJson): Reason[] => [...(x.reasons ?? []), ...(x.notes ?? [])] as Reason[];
const records = (r: FileReport): RecordJson[] => [...r.sessions, ...r.pairs];
const roleOf = (r: FileReport, address: string): string | undefined => r.roles?.find((x) => x.address === address)?.role;

/** What tshark says about one frame: `fields` in order. */
function tshark(path: string, frame: number, fields: string[], args: string[] = []): string[] {
  const out = run('tshark', [...TSHARK_ARGS, ...args, '-r', path, '-Y', `frame.number == ${frame}`, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f',
    ...fields.flatMap((f) => ['-e', f])]).stdout.trim();
  return out.split('\t');
}

/** The infrastructure-only captures of issue 12 item 1 and deliver 5a. */
const INFRA = ['trust-infra-teredo', 'trust-infra-iphttps-icmp', 'trust-infra-6to4-server', 'trust-infra-isatap', 'trust-infra-null-tls'];

// --- items 1 and 6: infrastructure is not a client --------------------------------------------------------------------

describe('infrastructure only: no session, no pair (issue 12 deliver 5a)', () => {
  for (const name of INFRA) {
    it(`${name}: zero sessions, zero pairs, no finding (exit 0)`, () => {
      const { code, r } = verify(`${CAPTURES}/${name}.pcapng`);
      expect(r.sessions).toEqual([]);
      expect(r.pairs).toEqual([]);
      expect(r.totals['clear'] ?? 0).toBe(0);
      expect(r.totals['failed'] ?? 0).toBe(0);
      expect(code).toBe(0);
    });
  }
});

describe('Teredo qualification and bubbles (trust-infra-teredo.pcapng)', () => {
  const s = infraTeredoScenario();
  const path = `${CAPTURES}/trust-infra-teredo.pcapng`;
  const { r } = verify(path);

  it('bubbles between two Teredo addresses are no "protocol 59 session" and no failed pair', () => {
    expect(records(r).filter((x) => x.protocol === 'protocol 59' || x.protocol === '59')).toEqual([]);
    expect(r.pairs.filter((x) => x.verdict === 'failed')).toEqual([]);
  });

  it('gives the DA server (the Teredo server on 3544) an infrastructure role, not a client\'s', () => {
    expect(['teredo-server', 'da-server']).toContain(roleOf(r, TEREDO.server.address));
  });

  it.skipIf(!HAVE_TSHARK)('the bubbles are, in tshark, Teredo with IPv6 next header 59 and payload length 0; the qualification RS/RA on 3544', () => {
    const bubbles = numbers(s.framesWith('bubbles'));
    expect(bubbles.length).toBeGreaterThanOrEqual(5);
    for (const n of bubbles) expect(tshark(path, n, ['ipv6.nxt', 'ipv6.plen'], ['-d', `udp.port==${TEREDO.peerMapped.port},teredo`])).toEqual(['59', '0']);
    const [rs, ra] = numbers(s.framesWith('qualification')) as [number, number];
    expect(tshark(path, rs, ['udp.dstport', 'icmpv6.type'])).toEqual(['3544', '133']);
    expect(tshark(path, ra, ['udp.srcport', 'icmpv6.type'])).toEqual(['3544', '134']);
  });
});

describe('ICMPv6 errors from the IP-HTTPS router (trust-infra-iphttps-icmp.pcapng)', () => {
  const { r } = verify(`${CAPTURES}/trust-infra-iphttps-icmp.pcapng`);

  it('the router (…:1000::1, the DA server in the IP-HTTPS prefix) is in no session or pair, and has a router role', () => {
    expect(records(r).filter((x) => x.a.address === TRUST.router || x.b.address === TRUST.router)).toEqual([]);
    expect(['iphttps-router', 'da-server']).toContain(roleOf(r, TRUST.router));
  });

  it('client 1 is a DA client; the intranet host it tried is not', () => {
    expect(roleOf(r, C1.ipHttps)).toBe('da-client');
    expect(['intranet-host', 'other']).toContain(roleOf(r, TRUST.intranet));
  });
});

describe('a 6to4 client and the DA server\'s 6to4 address (trust-infra-6to4-server.pcapng)', () => {
  const s = infra6to4ServerScenario();
  const path = `${CAPTURES}/trust-infra-6to4-server.pcapng`;
  const { r } = verify(path);
  const sum = summary(path);
  const client = [TRUST.sixToFour.v4, TRUST.sixToFour.v6];
  const server = [DA.serverV4, TRUST.server6to4];

  it('the DA server\'s addresses have a server or relay role; the 6to4 client is not a relay', () => {
    for (const a of server) expect(['da-server', '6to4-relay'], a).toContain(roleOf(r, a));
    for (const a of client) expect(roleOf(r, a), a).not.toBe('6to4-relay');
  });

  it('summary calls neither of the client\'s addresses a "6to4 relay", and none of the server\'s a DirectAccess client', () => {
    expect(sum.servers.filter((x) => /6to4[ -]relay/i.test(x.role) && (client as string[]).includes(x.endpoint.address))).toEqual([]);
    expect(sum.clients.filter((x) => /DirectAccess client|da-client/i.test(x.role) && (server as string[]).includes(x.endpoint.address))).toEqual([]);
  });

  it.skipIf(!HAVE_TSHARK)('the capture starts, in tshark, with the DA server\'s echo reply over protocol 41 from its 6to4 address', () => {
    expect(s.frames[0]!.outbound).toBe(false);
    expect(tshark(path, 1, ['ip.src', 'ip.proto', 'ipv6.src', 'icmpv6.type'])).toEqual([DA.serverV4, '41', TRUST.server6to4, '129']);
  });
});

describe('ISATAP hosts and their router (trust-infra-isatap.pcapng)', () => {
  const s = infraIsatapScenario();
  const path = `${CAPTURES}/trust-infra-isatap.pcapng`;
  const { r } = verify(path);
  const sum = summary(path);
  const i = TRUST.isatap;

  it('ISATAP hosts are intranet hosts, not DA clients; the router is the ISATAP router and the peer host is not', () => {
    for (const a of [i.host.global, i.peer.global]) expect(roleOf(r, a), a).toBe('intranet-host');
    for (const a of [i.host.v4, i.peer.v4]) expect(roleOf(r, a), a).not.toBe('da-client');
    expect(r.roles?.filter((x) => x.role === 'isatap-router').map((x) => x.address).some((a) => ([i.router.v4, i.router.ll, i.router.global] as string[]).includes(a))).toBe(true);
    for (const a of [i.peer.v4, i.peer.global]) expect(roleOf(r, a), a).not.toBe('isatap-router');
  });

  it('item 7: the flow with the router, whose first packet is 6to4-addressed, is ISATAP in summary, consistently with its client table', () => {
    const withRouter = sum.transitions.filter((t) => [t.client.address, t.server.address].sort().join() === [i.host.v4, i.router.v4].sort().join());
    expect(withRouter.map((t) => t.transition)).toEqual(['isatap']);
    expect(sum.transitions.map((t) => t.transition)).toEqual(sum.transitions.map(() => 'isatap'));
    // Every flow of this capture is ISATAP or carried by it: none may be labelled 6to4 because one packet was.
    expect(sum.topConversations.filter((c) => c.transition !== 'isatap').map((c) => [c.flow, c.transition])).toEqual([]);
    expect(sum.clients.filter((c) => c.transitions.some((t) => t.startsWith('6to4'))).map((c) => c.endpoint.address)).toEqual([]);
    expect(sum.servers.filter((x) => /6to4[ -]relay/i.test(x.role))).toEqual([]);
  });

  it('summary does not call the peer ISATAP host an "ISATAP router" (host-to-host ISATAP)', () => {
    expect(sum.servers.filter((x) => /ISATAP[ -]router/i.test(x.role)).map((x) => x.endpoint.address)).toEqual([i.router.v4]);
  });

  it.skipIf(!HAVE_TSHARK)('the first packet with the router is, in tshark, protocol 41 from an ISATAP address to a 6to4 address', () => {
    const first = numbers(s.framesWith('first-6to4'))[0]!;
    expect(first).toBe(1);
    expect(tshark(path, first, ['ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst'])).toEqual([i.router.v4, '41', i.host.global, TRUST.server6to4]);
    const [rs, ra] = numbers(s.framesWith('rd')) as [number, number];
    expect(tshark(path, rs, ['ip.proto', 'icmpv6.type'])).toEqual(['41', '133']);
    expect(tshark(path, ra, ['ipv6.src', 'icmpv6.type'])).toEqual([i.router.ll, '134']);
  });
});

describe('NULL-cipher TLS that is not IP-HTTPS (trust-infra-null-tls.pcapng)', () => {
  const s = infraNullTlsScenario();
  const path = `${CAPTURES}/trust-infra-null-tls.pcapng`;
  const { r } = verify(path);
  const sum = summary(path);
  const t = TRUST.nullTls;

  it('summary names no IP-HTTPS connection, no IP-HTTPS server and no DirectAccess client', () => {
    expect(sum.transitions.filter((x) => x.transition === 'ip-https')).toEqual([]);
    expect(sum.topConversations.filter((x) => x.transition === 'ip-https')).toEqual([]);
    expect(sum.servers.filter((x) => /IP-HTTPS|iphttps|da-server/i.test(x.role))).toEqual([]);
    expect(sum.clients.filter((x) => /DirectAccess client|da-client/i.test(x.role))).toEqual([]);
  });

  it('verify gives no host a DirectAccess role', () => {
    expect((r.roles ?? []).filter((x) => ['da-client', 'da-server', 'iphttps-router'].includes(x.role))).toEqual([]);
    for (const a of [t.client, t.gridftp.address, t.web.address]) expect(roleOf(r, a), a).toBe('other');
  });

  it('extract finds no IP-HTTPS connection to take packets from', () => {
    const out = join(dir, 'null-tls.pcapng');
    const x = cli(['extract', path, '-o', out]);
    expect(x.code).toBe(0);
    expect(readPackets(new Uint8Array(readFileSync(out)))).toHaveLength(0);
  });

  it.skipIf(!HAVE_TSHARK)('both connections are, in tshark, TLS_RSA_WITH_NULL_SHA; the 443 one carries HTTP GET, not IPv6', () => {
    const hello = (label: string): number => numbers(s.framesWith(label).filter((f) => !f.outbound && f.length > 200))[0]!;
    expect(tshark(path, hello('gridftp'), ['tcp.srcport', 'tls.handshake.ciphersuite'], ['-d', `tcp.port==${t.gridftp.port},tls`])).toEqual([String(t.gridftp.port), '0x0002']);
    expect(tshark(path, hello('web'), ['tcp.srcport', 'tls.handshake.ciphersuite'])).toEqual(['443', '0x0002']);
    const get = numbers(s.framesWith('web').filter((f) => f.outbound)).find((n) => tshark(path, n, ['http.request.method'])[0] === 'GET');
    expect(get).toBeDefined();
    expect(tshark(path, get!, ['frame.protocols'])[0]).toMatch(/tls:http$/);
  });
});

// --- item 2: a completed AuthIP negotiation ---------------------------------------------------------------------------

describe('AuthIP Quick Mode as exchange 0xF4 (trust-authip-qm-244.pcapng)', () => {
  const s = authipQm244Scenario();
  const path = `${CAPTURES}/trust-authip-qm-244.pcapng`;
  const { code, r } = verify(path);
  const mm = numbers(s.framesWith('main-mode'));
  const qm = numbers(s.framesWith('quick-mode'));
  const v = TRUST.qm244;

  it('the pair is encrypted, with both SAs judged ciphertext; exit 0', () => {
    expect(code).toBe(0);
    expect(r.pairs.map((p) => [p.verdict, p.a.address, p.b.address])).toEqual([['encrypted', C1.ll, C2.ll]]);
    expect(withCode(r.pairs[0]!.reasons, 'esp.ciphertext').length).toBeGreaterThan(0);
    expect(r.esp.map((e) => e.verdict)).toEqual(['encrypted', 'encrypted']);
  });

  it('the negotiation is complete in verify and in summary', () => {
    expect(r.pairs[0]!.negotiations.map((n) => [n.protocol, n.outcome])).toEqual([['AuthIP', 'complete']]);
    expect(summary(path).negotiations.map((n) => [n.protocol, n.outcome])).toEqual([['AuthIP', 'complete']]);
  });

  it('no reason or note says the negotiation or Quick Mode failed', () => {
    for (const x of records(r)) {
      for (const st of statements(x)) {
        expect(st.text ?? String(st)).not.toMatch(/fail/i);
        if (/^(authip|ike)\./.test(st.code ?? '')) expect(st.code).toBe('ike.complete');
      }
    }
  });

  it.skipIf(!HAVE_TSHARK)('in tshark: Main Mode #1–#4 are 0xF3 in clear, then 0xF4 encrypted from both sides, then ESP both ways', () => {
    expect(mm).toHaveLength(4);
    for (const n of mm) expect(tshark(path, n, ['isakmp.exchangetype', 'isakmp.flags'])).toEqual(['243', '0x00']);
    expect(qm.map((n) => tshark(path, n, ['ipv6.src', 'isakmp.exchangetype', 'isakmp.flags']))).toEqual([
      [C1.ll, '244', '0x01'], [C2.ll, '244', '0x01'], [C1.ll, '244', '0x01'],
    ]);
    const ra = s.framesWith('ra');
    expect(tshark(path, numbers(ra.filter((f) => f.outbound))[0]!, ['esp.spi'])).toEqual([`0x${v.spi.toString(16).padStart(8, '0')}`]);
    expect(tshark(path, numbers(ra.filter((f) => !f.outbound))[0]!, ['esp.spi'])).toEqual([`0x${v.reverseSpi.toString(16).padStart(8, '0')}`]);
  });
});

// --- item 3: no cause the capture refutes -------------------------------------------------------------------------------

describe('AuthIP ended by the responder\'s Notify in IP-HTTPS mode None (trust-authip-notify-mode-none.pcapng)', () => {
  const s = authipNotifyModeNoneScenario();
  const path = `${CAPTURES}/trust-authip-notify-mode-none.pcapng`;
  const { r } = verify(path);
  const authip = s.innerWith('authip');
  const notify = outer(authip[authip.length - 1]!);
  const syn = s.innerWith('syn').map(outer);
  // The earlier IP-HTTPS connections carried nothing between the clients.
  const unrelated = new Set(numbers(s.framesWith('other-iphttps')));

  it('the pair failed, its cause the responder\'s Notify (ERROR_IPSEC_IKE_AUTH_FAIL) with its frame', () => {
    expect(verify(path, '--strict').code).toBe(1);
    expect(r.pairs.map((p) => [p.verdict, p.a.address, p.b.address])).toEqual([['failed', C1.ll, C2.ll]]);
    const cause = withCode(r.pairs[0]!.reasons, 'authip.notify');
    expect(cause).toHaveLength(1);
    expect(cause[0]!.frames).toContain(notify);
    expect(cause[0]!.text).toMatch(/AUTH_FAIL|0x0*35e9/i);
  });

  it('the SYN attempt failed unanswered', () => {
    expect(r.sessions.map((x) => [x.verdict, x.state, x.b.address, x.b.port])).toEqual([['failed', 'unanswered', C2.ll, TRUST.notify.port]]);
    const unanswered = withCode(r.sessions[0]!.reasons, 'tcp.syn_unanswered');
    expect(unanswered).toHaveLength(1);
    expect(unanswered[0]!.frames).toContain(syn[0]);
  });

  it('no statement that mode None dropped link-local unicast: the responder\'s answers came back over fe80::', () => {
    for (const x of records(r)) {
      expect(codes(statements(x))).not.toContain('iphttps.auth_none');
      for (const st of statements(x)) expect(st.text ?? String(st)).not.toMatch(/mode None|link-local unicast/i);
    }
  });

  it('no list of the unrelated IP-HTTPS connections: no statement cites their frames', () => {
    for (const x of records(r)) {
      const cited = statements(x).flatMap((st) => st.frames ?? []);
      expect(cited.filter((n) => unrelated.has(n)), `${x.kind} ${x.b.address}`).toEqual([]);
      expect(x.frames.deciding.filter((n) => unrelated.has(n))).toEqual([]);
    }
  });
});

// --- items 4 and 5: ESP is encrypted only on positive evidence -------------------------------------------------------------

describe('ESP-NULL carrying OSPFv3 (trust-esp-null-ospf.pcapng)', () => {
  const s = espNullOspfScenario();
  const path = `${CAPTURES}/trust-esp-null-ospf.pcapng`;
  const { r } = verify(path);

  it('neither the pair nor either SA is judged encrypted', () => {
    expect(r.pairs).toHaveLength(1);
    expect(['integrity-only', 'inconclusive']).toContain(r.pairs[0]!.verdict);
    expect(r.esp.filter((e) => e.verdict === 'encrypted').map((e) => e.spi)).toEqual([]);
  });

  it('the pair says why, and nothing calls its ESP ciphertext', () => {
    const p = r.pairs[0]!;
    const expected = p.verdict === 'integrity-only' ? 'esp.null' : 'esp.undetermined';
    expect(withCode(p.reasons, expected).length).toBeGreaterThan(0);
    expect(codes(statements(p))).not.toContain('esp.ciphertext');
    for (const st of statements(p)) expect(st.text ?? String(st)).not.toMatch(/ciphertext/i);
  });

  it.skipIf(!HAVE_TSHARK)('in tshark with its ESP-NULL heuristic, ESP packets hold OSPFv3 (next header 89, pad 1..n)', () => {
    const esp = numbers(s.framesWith('ospf'));
    expect(esp).toHaveLength(2 * TRUST.ospf.packets);
    for (const n of [esp[0]!, esp[1]!, esp[esp.length - 1]!]) {
      expect(tshark(path, n, ['frame.protocols', 'esp.protocol', 'ospf.version', 'esp.pad_len'], ['-o', 'esp.enable_null_encryption_decode_heuristic:TRUE']))
        .toEqual(['raw:ipv6:esp:ospf', '0x59', '3', '2']);
    }
  });
});

describe('ESP without payload (trust-esp-empty.pcapng)', () => {
  const s = espEmptyScenario();
  const path = `${CAPTURES}/trust-esp-empty.pcapng`;
  const { code, r } = verify(path);

  it('the pair is inconclusive, with the reason, never encrypted; incomplete (exit 5), 1 with --strict', () => {
    expect(r.pairs.map((p) => p.verdict)).toEqual(['inconclusive']);
    expect(withCode(r.pairs[0]!.reasons, 'esp.undetermined').length).toBeGreaterThan(0);
    expect(codes(r.pairs[0]!.reasons)).not.toContain('esp.ciphertext');
    expect(r.esp.filter((e) => e.verdict === 'encrypted').map((e) => e.spi)).toEqual([]);
    expect(code).toBe(5);
    expect(verify(path, '--strict').code).toBe(1);
  });

  it.skipIf(!HAVE_TSHARK)('each ESP packet is, in tshark, 8 bytes: SPI and sequence number', () => {
    for (const n of numbers(s.framesWith('esp')).slice(0, 4)) expect(tshark(path, n, ['ipv6.nxt', 'ipv6.plen'])).toEqual(['50', '8']);
  });
});

describe('ESP cut by the snaplen, 16 payload bytes visible (trust-esp-snaplen-64.pcapng)', () => {
  const path = `${CAPTURES}/trust-esp-snaplen-64.pcapng`;
  const s = espSnaplenScenario();
  const { code, r } = verify(path);
  const v = TRUST.snaplen;
  const spi = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
  const pair = (peer: string): RecordJson | undefined => r.pairs.find((p) => p.b.address === peer || p.a.address === peer);

  it('every packet is cut: the trailers are not in the capture, 16 bytes of ESP payload are', () => {
    const packets = readPackets(s.bytes());
    for (const f of s.framesWith('tcp')) {
      expect(f.length).toBeGreaterThan(v.bytes);
      expect(packets[f.number - 1]!.data).toHaveLength(v.bytes);
    }
    expect(s.framesWith('null', 'tcp').filter((f) => f.outbound).length).toBeGreaterThanOrEqual(8);
    expect(s.framesWith('null', 'tcp').filter((f) => !f.outbound).length).toBeGreaterThanOrEqual(8);
  });

  it('ESP-NULL is still decided from the TCP header inside: the pair with client 2 is integrity-only; exit 1', () => {
    expect(pair(C2.ll)?.verdict).toBe('integrity-only');
    expect(withCode(pair(C2.ll)?.reasons, 'esp.null').length).toBeGreaterThan(0);
    expect(r.esp.filter((e) => [spi(v.nullSa.spi), spi(v.nullSa.reverseSpi)].includes(e.spi)).map((e) => e.verdict)).toEqual(['null', 'null']);
    expect(code).toBe(1);
  });

  it('random visible bytes rule ESP-NULL out: the pair with client 3 is encrypted, with lowered confidence and the snaplen named', () => {
    expect(pair(C3.ll)?.verdict).toBe('encrypted');
    const ciphertext = withCode(pair(C3.ll)?.reasons, 'esp.ciphertext');
    expect(ciphertext.length).toBeGreaterThan(0);
    for (const x of ciphertext) expect(`${x.text} ${JSON.stringify(x.facts)}`).toMatch(/snaplen/i);
    const sas = r.esp.filter((e) => [spi(v.aesSa.spi), spi(v.aesSa.reverseSpi)].includes(e.spi));
    expect(sas.map((e) => e.verdict)).toEqual(['encrypted', 'encrypted']);
    for (const e of sas) expect(e.confidence).not.toBe('high');
  });
});

describe('ESP cut by the snaplen, 8 payload bytes visible (trust-esp-snaplen-56.pcapng)', () => {
  const s = espSnaplenShortScenario();
  const { code, r } = verify(`${CAPTURES}/trust-esp-snaplen-56.pcapng`);

  it('too little is visible: both pairs inconclusive with the reason; incomplete, exit 5', () => {
    expect(readPackets(s.bytes()).every((p) => p.data.length <= TRUST.snaplen.short)).toBe(true);
    expect(r.pairs.map((p) => [p.b.address, p.verdict])).toEqual([[C2.ll, 'inconclusive'], [C3.ll, 'inconclusive']]);
    for (const p of r.pairs) {
      expect(withCode(p.reasons, 'esp.undetermined').length).toBeGreaterThan(0);
      expect(codes(p.reasons)).not.toContain('esp.ciphertext');
    }
    expect(code).toBe(5);
  });
});

// --- item 8: the DirectAccess context inferred -----------------------------------------------------------------------------

describe('DirectAccess context inferred on a tunnel capture without RA (trust-context-inferred.pcapng)', () => {
  const s = contextInferredScenario();
  const path = `${CAPTURES}/trust-context-inferred.pcapng`;
  const { r } = verify(path);
  const dns = numbers(s.framesWith('dns'));
  const syns = numbers(s.framesWith('syn'));
  const icmp = numbers(s.framesWith('icmp'));
  const v = TRUST.inferred;

  it('does not say "no traffic between DirectAccess clients"', () => {
    expect(JSON.stringify(r.coverage)).not.toMatch(/no traffic between DirectAccess clients/);
    expect(r.result).toBe('failed');
    expect(r.totals['failed']).toBeGreaterThan(0);
  });

  it('each attempt failed, its cause the DA server\'s ICMPv6 administratively prohibited quoting the SYN', () => {
    expect(r.sessions.map((x) => [x.verdict, x.state, x.a.address, x.a.port, x.b.address, x.b.port])).toEqual(
      v.sports.map((sport) => ['failed', 'unreachable', C1.ipHttps, sport, C2.ipHttps, v.port]));
    r.sessions.forEach((x, k) => {
      const cause = withCode(x.reasons, 'icmpv6.admin_prohibited');
      expect(cause).toHaveLength(1);
      expect(cause[0]!.frames).toContain(icmp[k]);
      expect(x.frames.deciding).toEqual(expect.arrayContaining([syns[k], icmp[k]]));
    });
    expect(r.pairs.map((p) => [p.verdict, p.a.address, p.b.address])).toEqual([['failed', C1.ipHttps, C2.ipHttps]]);
    expect(codes(r.pairs[0]!.reasons)).toContain('icmpv6.admin_prohibited');
  });

  it('states the inferred prefix as an assumption with its frames and the option that overrides it', () => {
    const assumed = withCode(r.assumptions, 'context.assumed_prefix');
    expect(assumed).toHaveLength(1);
    expect(assumed[0]!.facts['prefix']).toBe(TRUST.prefix);
    expect(assumed[0]!.text).toContain(TRUST.prefix);
    expect(assumed[0]!.text).toContain('--iphttps-prefix');
    // The AAAA answer in the client's own /64 is what the inference rests on; every frame named is one of the story's.
    expect(assumed[0]!.frames).toContain(dns[dns.length - 1]);
    expect(assumed[0]!.frames.every((n) => [...dns, ...syns, ...icmp].includes(n))).toBe(true);
  });

  it('both clients are DA clients, the answering router is not', () => {
    expect(roleOf(r, C1.ipHttps)).toBe('da-client');
    expect(roleOf(r, C2.ipHttps)).toBe('da-client');
    expect(['iphttps-router', 'da-server']).toContain(roleOf(r, TRUST.router));
    expect(records(r).filter((x) => x.a.address === TRUST.router || x.b.address === TRUST.router)).toEqual([]);
  });

  it('given --iphttps-prefix, nothing is assumed and the verdicts stay; --strict exits 1', () => {
    const given = verify(path, '--iphttps-prefix', TRUST.prefix).r;
    expect(withCode(given.assumptions, 'context.assumed_prefix')).toEqual([]);
    expect(given.pairs.map((p) => p.verdict)).toEqual(['failed']);
    // A failed attempt is not a clean result under --strict (without it, failed exits as verify always has: see verify-failed).
    expect(verify(path, '--strict').code).toBe(1);
  });

  it.skipIf(!HAVE_TSHARK)('in tshark: raw IPv6, the AAAA answer in the client\'s /64, each ICMPv6 type 1 code 1 from ::1 quoting its SYN', () => {
    expect(tshark(path, dns[dns.length - 1]!, ['frame.protocols', 'dns.aaaa'])).toEqual(['raw:ipv6:udp:dns', C2.ipHttps]);
    icmp.forEach((n, k) => {
      expect(tshark(path, n, ['frame.protocols', 'ipv6.src', 'icmpv6.type', 'icmpv6.code', 'tcp.srcport', 'tcp.flags.syn']))
        .toEqual(['raw:ipv6:icmpv6:ipv6:tcp', TRUST.router, '1', '1', String(v.sports[k]), '1']);
    });
  });
});

// --- item 9: ICMPv6 errors are evidence, not sessions -----------------------------------------------------------------------

describe('ICMPv6 errors from the peer and from the router (trust-icmp-attached.pcapng)', () => {
  const s = icmpAttachedScenario();
  const path = `${CAPTURES}/trust-icmp-attached.pcapng`;
  const { r } = verify(path);
  const cases = [
    { label: 'peer', peer: C2.ipHttps, sport: TRUST.attached.sports[0], code: 'icmpv6.admin_prohibited' },
    { label: 'router', peer: TRUST.client3Global, sport: TRUST.attached.sports[1], code: 'icmpv6.unreachable' },
  ].map((c) => ({ ...c, syn: numbers(s.framesWith(c.label, 'syn'))[0]!, icmp: numbers(s.framesWith(c.label, 'icmp'))[0]! }));

  it('no session or pair is ICMPv6, and none involves the router', () => {
    expect(r.sessions.filter((x) => x.protocol === 'icmpv6')).toEqual([]);
    expect(records(r).filter((x) => x.a.address === TRUST.router || x.b.address === TRUST.router)).toEqual([]);
  });

  it('each TCP session is unreachable, its reasons citing the ICMPv6 error that quotes its SYN', () => {
    expect(r.sessions.map((x) => [x.protocol, x.verdict, x.state, x.b.address, x.a.port])).toEqual(
      cases.map((c) => ['tcp', 'failed', 'unreachable', c.peer, c.sport]));
    r.sessions.forEach((x, k) => {
      const c = cases[k]!;
      const cause = withCode(x.reasons, c.code);
      expect(cause, c.label).toHaveLength(1);
      expect(cause[0]!.frames).toContain(c.icmp);
      expect(x.frames.deciding).toEqual(expect.arrayContaining([c.syn, c.icmp]));
    });
  });

  it.skipIf(!HAVE_TSHARK)('in tshark each error is ICMPv6 type 1 quoting the SYN, from the peer (code 1) and from the router (code 3)', () => {
    expect(tshark(path, cases[0]!.icmp, ['ipv6.src', 'icmpv6.type', 'icmpv6.code', 'tcp.srcport'])).toEqual([C2.ipHttps, '1', '1', String(cases[0]!.sport)]);
    expect(tshark(path, cases[1]!.icmp, ['ipv6.src', 'icmpv6.type', 'icmpv6.code', 'tcp.srcport'])).toEqual([TRUST.router, '1', '3', String(cases[1]!.sport)]);
  });
});

// --- deliver 5b: precision over every fixture and the shared corpus ----------------------------------------------------------

/** The largest capture the precision check reads (the corpus may hold big files; the check must stay quick). */
const MAX_BYTES = 50 * 1024 * 1024;

/** pcap (either byte order, µs or ns), pcapng, or gzip (what da-audit reads compressed). */
function isCapture(path: string): boolean {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(4);
  const n = readSync(fd, b, 0, 4, 0);
  closeSync(fd);
  if (n < 4) return false;
  const magic = b.readUInt32BE(0);
  return [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(magic) || (b[0] === 0x1f && b[1] === 0x8b);
}

function walk(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Every record must be between two DA clients, and must not contradict itself; returns what is wrong, one line each. */
function contradictions(file: string, r: FileReport): string[] {
  const out: string[] = [];
  const answered = new Set(['established', 'refused', 'established-before-capture', 'answered']);
  for (const x of records(r)) {
    const where = `${file}: ${x.kind} ${x.a?.address} ↔ ${x.b?.address} (${x.verdict})`;
    const st = statements(x);
    const cs = codes(st);
    if (cs.some((c) => typeof c !== 'string')) out.push(`${where}: a reason or note without a code`);
    // An encrypted verdict rests on positive evidence: some SA judged ciphertext.
    if (x.verdict === 'encrypted' && !codes(x.reasons).includes('esp.ciphertext')) out.push(`${where}: encrypted without an esp.ciphertext reason`);
    // ESP flowing both ways after a negotiation means it completed: no statement may say otherwise.
    const bothWays = (/A→B/.test(x.path ?? '') && /B→A/.test(x.path ?? '')) || cs.filter((c) => c?.startsWith('esp.')).length >= 2;
    if (x.verdict === 'encrypted' && bothWays) {
      const failed = st.filter((s) => /^(authip|ike)\./.test(s.code ?? '') && s.code !== 'ike.complete');
      if (failed.length > 0) out.push(`${where}: ESP both ways, yet ${failed.map((s) => s.code).join(', ')}`);
    }
    // "mode None drops link-local unicast" is refuted when packets came back from b over link-local.
    if (cs.includes('iphttps.auth_none') && x.b.address.startsWith('fe80:')) {
      const peerSessions = r.sessions.filter((y) => [y.a.address, y.b.address].sort().join() === [x.a.address, x.b.address].sort().join());
      const back = x.negotiations.some((n) => n.outcome !== 'no-response') || [x, ...peerSessions].some((y) => answered.has(y.state ?? ''));
      if (back) out.push(`${where}: iphttps.auth_none although ${x.b.address} answered over link-local`);
    }
  }
  return out;
}

describe('the contradiction check itself', () => {
  const ep = (address: string): EndpointJson => ({ address, port: null, names: [], class: 'link-local', role: 'da-client' });
  const reason = (code: string, text = code): Reason => ({ code, text, frames: [1], facts: {} });
  const rec = (o: Partial<RecordJson>): RecordJson => ({
    kind: 'pair', verdict: 'encrypted', a: ep(C1.ll), b: ep(C2.ll), protocol: null, service: { name: 'unknown' }, state: null,
    path: 'ipv6 fe80:: → esp (SPI 0x1 A→B: ciphertext; SPI 0x2 B→A: ciphertext)', reasons: [reason('esp.ciphertext'), reason('esp.ciphertext')],
    notes: [], frames: { first: 1, last: 2, deciding: [1] }, negotiations: [], ...o,
  });
  const report = (pairs: RecordJson[]): FileReport => ({ file: 'x', totals: {}, sessions: [], pairs, result: 'encrypted', coverage: [], esp: [], roles: [], assumptions: [] });

  // So that the precision tests below cannot pass by checking nothing.
  it('flags each contradiction of issue 12 and passes a consistent record', () => {
    expect(contradictions('x', report([rec({})]))).toEqual([]);
    expect(contradictions('x', report([rec({ reasons: [reason('esp.undetermined')] })]))).toHaveLength(1);
    expect(contradictions('x', report([rec({ notes: [reason('authip.failed_after_authentication')] })]))).toHaveLength(1);
    expect(contradictions('x', report([rec({ verdict: 'failed', reasons: [reason('tcp.syn_unanswered'), reason('iphttps.auth_none')],
      negotiations: [{ protocol: 'AuthIP', outcome: 'notify-error' }] })]))).toHaveLength(1);
    expect(contradictions('x', report([rec({ verdict: 'failed', reasons: [reason('tcp.syn_unanswered'), reason('iphttps.auth_none')], negotiations: [] })]))).toEqual([]);
    expect(contradictions('x', report([rec({ notes: ['keyed by AuthIP (failed-after-authentication)'] as unknown as Reason[] })]))).toHaveLength(1);
  });
});

describe('precision over every fixture and the shared corpus (issue 12 deliver 5b)', () => {
  const fixtures = readdirSync(join(ROOT, CAPTURES)).filter((n) => /\.pcap(ng)?(\.gz)?$/.test(n)).sort().map((n) => join(ROOT, CAPTURES, n));
  const skipped: string[] = [];
  const corpus: string[] = [];
  // In CI the corpus sits beside the repository (../shared/corpus); without it the check still runs over the fixtures.
  if (existsSync(CORPUS)) {
    for (const p of walk(CORPUS)) {
      if (statSync(p).size > MAX_BYTES) skipped.push(`${relative(CORPUS, p)} (larger than 50 MB)`);
      else if (!isCapture(p)) skipped.push(`${relative(CORPUS, p)} (not a capture)`);
      else corpus.push(p);
    }
  } else skipped.push(`${CORPUS} (no corpus folder)`);
  const reports = new Map<string, FileReport>();

  beforeAll(() => {
    if (skipped.length > 0) console.log(`precision check skips: ${skipped.join('; ')}`);
    // A few files per run: one process start per file would dominate the time.
    const all = [...fixtures, ...corpus];
    for (let at = 0; at < all.length; at += 20) {
      const chunk = all.slice(at, at + 20);
      const out = cli(['verify', '--format', 'json', ...chunk]);
      const doc = JSON.parse(out.stdout) as { files: FileReport[] };
      expectSchemaValid(doc);
      const files = doc.files;
      expect(files.map((f) => f.file)).toEqual(chunk);
      files.forEach((f) => reports.set(f.file, f));
    }
  }, 300_000);

  for (const [name, list] of [['fixtures', fixtures], ['corpus', corpus]] as const) {
    it(`${name}: every session and pair is between two endpoints whose role is DA client`, () => {
      const wrong = list.flatMap((f) => records(reports.get(f)!).filter((x) => x.a?.role !== 'da-client' || x.b?.role !== 'da-client')
        .map((x) => `${relative(ROOT, f)}: ${x.kind} ${x.a?.address} (${x.a?.role}) ↔ ${x.b?.address} (${x.b?.role})`));
      expect(wrong).toEqual([]);
    });

    it(`${name}: no record contradicts itself`, () => {
      expect(list.flatMap((f) => contradictions(relative(ROOT, f), reports.get(f)!))).toEqual([]);
    });
  }
});
