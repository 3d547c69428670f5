/**
 * Reason codes: every verdict reason, note, cause, assumption and coverage statement has a stable code, the
 * facts it rests on and the frames that show them; its sentence is rendered here from code + facts, so JSON
 * readers get the code and facts, people get the sentence, and docs/verdicts.md lists every code from this table.
 */

/** What a statement is in a report. */
export type ReasonKind = 'reason' | 'note' | 'cause' | 'assumption' | 'coverage';

interface Spec<F> {
  kind: ReasonKind;
  /** What the code means, one sentence (docs/verdicts.md, `explain`). */
  meaning: string;
  /** The evidence that raises it. */
  evidence: string;
  /** The sentence, from the facts. */
  text: (f: F) => string;
}

const spec = <F>(s: Spec<F>): Spec<F> => s;

/** "frame 7" or "frames 7–12". */
export function frameSpan(first: number, last: number): string {
  return first === last ? `frame ${first}` : `frames ${first}–${last}`;
}

/** "frame 7" or "frames 7, 9, 12, …" (at most six named). */
export function framesText(frames: readonly number[]): string {
  return frames.length === 1 ? `frame ${frames[0]}` : `frames ${frames.slice(0, 6).join(', ')}${frames.length > 6 ? ', …' : ''}`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;


/** "SPI 0x… (13 packet(s), frames 8–33): " — how every ESP SA statement begins. */
function saHead(f: { spi: string; packets: number; span: string }): string {
  return `SPI ${f.spi} (${f.packets} packet(s), ${f.span}): `;
}

interface NullFacts { frames: string; icv: number; iv: number; pad: number; nextHeader: number; inner: string; proof: 'checksum' | 'structure' | 'trailer' | 'snaplen';
  matching: number; complete: number; chiSquare: number | null; udpEncapsulated: boolean; snaplen: number }

function nullText(f: NullFacts): string {
  const layout = `${f.icv}-byte ICV${f.iv ? ` and an ${f.iv}-byte IV (AES-GMAC)` : ''}`;
  switch (f.proof) {
    case 'checksum': return `ESP with NULL encryption (RFC 2410): in ${f.frames} the trailer is valid with a ${layout}, pad length ${f.pad}, next header ${f.nextHeader} (${f.inner}), and the ${f.inner} checksum inside verifies over the IP pseudo-header: the payload is plaintext`;
    case 'structure': return `ESP with NULL encryption (RFC 2410), by structure: ${f.matching} of ${f.complete} complete packets (${f.frames}) have a valid trailer with a ${layout} and a well-formed ${f.inner} header inside${f.chiSquare !== null && f.chiSquare > 0 ? `, and the payload bytes are not random (χ² ${f.chiSquare})` : ''}; no checksum could be verified${f.udpEncapsulated ? ' (UDP-encapsulated: a NAT changes the addresses the checksum covers)' : ' (checksum offload on the sender leaves it unset)'}`;
    case 'trailer': return `ESP with NULL encryption (RFC 2410), by its trailer: ${f.matching} of ${f.complete} complete packets (${f.frames}) end in the same valid trailer with a ${layout}, pad length ${f.pad} and next header ${f.nextHeader} (${f.inner}); random bytes end in such a trailer by chance about once in 65,536 packets`;
    case 'snaplen': return `ESP with NULL encryption (RFC 2410), read from the start of the payload although the snaplen (${f.snaplen} bytes) cut the trailers: in ${f.matching} of the ${f.complete} cut packets (${f.frames}) the payload${f.iv ? ` after an ${f.iv}-byte IV` : ''} begins with a ${f.inner} header whose ports and sequence numbers continue from packet to packet, which ciphertext cannot do`;
  }
}

interface UndeterminedFacts { why: 'snaplen' | 'too_little_visible' | 'no_payload' | 'not_random' | 'too_few' | 'ambiguous' | 'not_sampled';
  frames: string; packets: number; cut: number; complete: number; bytes: number; chiSquare: number | null; snaplen: number }

function undeterminedText(f: UndeterminedFacts): string {
  const snap = f.snaplen ? ` (${f.snaplen} bytes)` : '';
  switch (f.why) {
    case 'snaplen': return `cannot tell NULL from real encryption: the snaplen${snap} cut ${f.cut === f.packets ? 'every one' : f.cut} of its ${plural(f.packets, 'packet')} (${f.frames}), so the trailer and ICV are not in the capture, and too little of the payload is visible (at least 16 bytes in 8 packets are needed)`;
    case 'too_little_visible': return `cannot tell NULL from real encryption: the snaplen${snap} cut the trailers (${f.frames}) and the visible starts of the payload neither show a consistent inner header nor look random (χ² ${f.chiSquare ?? '—'} over ${f.bytes} bytes)`;
    case 'no_payload': return `cannot tell NULL from real encryption: its ${plural(f.packets, 'packet')} (${f.frames}) carry no payload after the SPI and sequence number, so there is nothing to judge`;
    case 'not_random': return `no ESP-NULL reading repeats in its ${plural(f.complete, 'complete packet')} (${f.frames}), but the payload bytes are not uniformly random (χ² ${f.chiSquare} over ${f.bytes} bytes; a counter IV, or a NULL layout this test does not know), so encryption is not proven`;
    case 'too_few': return `no ESP-NULL reading in its ${plural(f.complete, 'complete packet')} (${f.frames}), but ${f.bytes} payload bytes are too few to show that they are random (128 are needed), so encryption is not proven`;
    case 'ambiguous': return `${f.frames} read(s) as ESP-NULL by structure but no checksum inside verifies, and there are too few complete packets (${f.complete}) to rule NULL encryption in or out`;
    case 'not_sampled': return `cannot tell NULL from real encryption: no packet of this SA was sampled (${f.frames})`;
  }
}

export const REASONS = {
  // --- ESP security associations (classify/esp-null.ts; RFC 4303, RFC 2410, RFC 5879, protocols.md §3.5) ---
  'esp.null': spec<NullFacts & { spi: string; packets: number; span: string }>({
    kind: 'reason', meaning: 'An ESP SA uses NULL encryption (RFC 2410): integrity only, the payload is plaintext.',
    evidence: 'A valid ESP trailer (padding 1, 2, …, pad length, next header) with an inner header whose checksum verifies over the pseudo-header; or the same trailer layout and a well-formed inner header in most sampled packets; or, when the snaplen cut the trailers, inner transport ports and sequence numbers consistent from packet to packet.',
    text: (f) => `${saHead(f)}${nullText(f)}`,
  }),
  'esp.ciphertext': spec<{ spi: string; packets: number; span: string; frames: string; complete: number; chance: number; chanceFrames: string; chiSquare: number | null; bytes: number; snaplen: number; cut: number }>({
    kind: 'reason', meaning: 'An ESP SA carries ciphertext: the encryption the connection security rule demands.',
    evidence: 'No sampled packet reads as ESP-NULL in a repeatable way for any ICV length (0–32), IV length (0, 8) and next header, and the payload bytes are uniformly random over enough samples (χ² test); with a cut snaplen, the visible payload starts are random and show no inner header.',
    text: (f) => saHead(f) + (f.cut > 0
      ? `ciphertext, judged from the start of the payload only (the snaplen of ${f.snaplen} bytes cut the trailers of ${plural(f.cut, 'sampled packet')}, ${f.frames}): no inner transport header repeats at its start, and the visible bytes are uniformly random (χ² ${f.chiSquare} over ${f.bytes} bytes); lower confidence than with whole packets`
      : `ciphertext: ${f.chance === 0 ? `none of ${f.complete} complete packet(s) (${f.frames}) reads as ESP-NULL for any ICV length 0–32, IV 0 or 8 and next header` : `${f.complete - f.chance} of ${f.complete} complete packet(s) (${f.frames}) read as ESP-NULL for no ICV length 0–32, IV 0 or 8 and next header`}${f.chance > 0 ? `; the other ${f.chance} (${f.chanceFrames}) ${f.chance === 1 ? 'ends' : 'end'} in what looks like a valid ESP-NULL trailer, by chance: no checksum inside verifies and no layout repeats` : ''}, and its payload bytes are uniformly random (χ² ${f.chiSquare} over ${f.bytes} bytes)`),
  }),
  'esp.undetermined': spec<UndeterminedFacts & { spi: string; span: string }>({
    kind: 'reason', meaning: 'An ESP SA cannot be judged NULL or encrypted from this capture: without positive evidence it is never called encrypted.',
    evidence: 'Too few or too short sampled packets, packets without payload, payload bytes that are not uniformly random although no ESP-NULL layout repeats, or structure-only ESP-NULL readings in too few packets.',
    text: (f) => saHead(f) + undeterminedText(f),
  }),
  // --- session state (classify/sessions.ts; RFC 9293 §3.5, RFC 4443 §3.1) ---
  'tcp.established': spec<{ syn: number; synAck: number }>({
    kind: 'note', meaning: 'The TCP handshake completed: a session came about.', evidence: 'A SYN-ACK and then an ACK or data.',
    text: (f) => `the TCP handshake completed (SYN frame ${f.syn || '—'}, SYN-ACK frame ${f.synAck})`,
  }),
  'tcp.before_capture': spec<{ orig: number; resp: number }>({
    kind: 'note', meaning: 'A TCP session was already established when the capture started.', evidence: 'Data in both directions and no handshake in the capture.',
    text: (f) => `data flows both ways (frames ${f.orig}, ${f.resp}) but no handshake is in the capture: the session started before it`,
  }),
  'tcp.one_side': spec<{ syn: number; ack: number }>({
    kind: 'note', meaning: 'The TCP handshake completed, but the capture holds only the originator\'s side: its ACKs and data answer a SYN-ACK that is not in it.',
    evidence: 'A SYN, then pure ACKs or data from the same side, and no packet from the other side (RFC 9293 §3.5).',
    text: (f) => `the TCP handshake completed (SYN frame ${f.syn}; the originator acknowledges in frame ${f.ack} a SYN-ACK the capture does not hold): only this side of the connection was captured`,
  }),
  'tcp.refused': spec<{ syn: number; rst: number }>({
    kind: 'reason', meaning: 'The connection was refused: nothing listens on that port, or a firewall rejects it.', evidence: 'A RST answers the SYN.',
    text: (f) => `no session was established: the SYN (frame ${f.syn}) was refused with a RST (frame ${f.rst})`,
  }),
  'tcp.reset': spec<{ rst: number }>({
    kind: 'note', meaning: 'An established connection was reset.', evidence: 'A RST after the handshake.',
    text: (f) => `the connection was reset (RST in frame ${f.rst})`,
  }),
  'tcp.syn_unanswered': spec<{ syns: number; first: number; last: number }>({
    kind: 'reason', meaning: 'The SYN was never answered: the packets were dropped on the way or by the peer (protocols.md §7 row 15).',
    evidence: 'SYNs (with retransmissions) and no SYN-ACK, RST or ICMP error.',
    text: (f) => `no session was established: ${f.syns} SYN(s) from frame ${f.first} on, never answered`,
  }),
  'tcp.unknown': spec<{ history: string }>({
    kind: 'note', meaning: 'The TCP history does not show how the session went.', evidence: 'A history without a handshake, a RST or data both ways.',
    text: (f) => `TCP history ${f.history || '(none)'}`,
  }),
  'icmpv6.admin_prohibited': spec<{ what: string; code: number; codeName: string; frame: number; version: number }>({
    kind: 'reason', meaning: 'A firewall or the DirectAccess server refused the packet: ICMPv6 destination unreachable, code 1 (protocols.md §7 row 8).',
    evidence: 'An ICMPv6 type 1 code 1 whose quoted packet belongs to the session.',
    text: (f) => `no session was established: ${f.what === 'the SYN' ? 'the SYN was answered' : 'answered'} by ICMPv6 destination unreachable, code 1 (communication administratively prohibited) in frame ${f.frame}`,
  }),
  'icmpv6.unreachable': spec<{ what: string; code: number; codeName: string; frame: number; version: number }>({
    kind: 'reason', meaning: 'The packet could not be delivered: an ICMP destination unreachable error quoted it.', evidence: 'An ICMPv6 type 1 (or ICMPv4 type 3) whose quoted packet belongs to the session.',
    text: (f) => `no session was established: ${f.what === 'the SYN' ? 'the SYN was answered' : 'answered'} by ${f.version === 6 ? 'ICMPv6' : 'ICMP'} destination unreachable, code ${f.code} (${f.codeName}) in frame ${f.frame}`,
  }),
  'udp.answered': spec<Record<string, never>>({
    kind: 'note', meaning: 'Datagrams went both ways.', evidence: 'UDP packets from both ends.', text: () => 'datagrams both ways',
  }),
  'udp.one_way': spec<{ datagrams: number }>({
    kind: 'note', meaning: 'Datagrams went one way only.', evidence: 'UDP packets from one end only.', text: (f) => `${f.datagrams} datagram(s) one way only`,
  }),
  'icmpv6.packet_too_big': spec<{ frame: number; mtu: number; count: number; version: number }>({
    kind: 'note', meaning: 'A router on the path said packets of this traffic were too big for the path (protocols.md §7 row 19): large packets are lost until the sender fragments them or sends smaller ones.',
    evidence: 'An ICMPv6 Packet Too Big (or ICMP fragmentation needed) quoting a packet of the session or pair.',
    text: (f) => `${f.count} ${f.version === 6 ? 'ICMPv6 Packet Too Big' : 'ICMP fragmentation needed'} error(s) from the path, the first in frame ${f.frame} with MTU ${f.mtu}: packets larger than that were dropped on the way (IP-HTTPS carries at most 1280 bytes, and ESP adds its own header and trailer)`,
  }),
  'dns.peer_global': spec<{ name: string; frame: number; cls: string }>({
    kind: 'note', meaning: 'The peer was reached by a name that DNS resolved to its global IP-HTTPS or Teredo address (protocols.md §7 row 6), so the traffic went through the DirectAccess server rather than over fe80:: on the IP-HTTPS link.',
    evidence: 'A DNS answer in the capture giving the peer\'s address, of class IP-HTTPS or Teredo, for a session or pair that was not encrypted.',
    text: (f) => f.cls === 'teredo'
      ? `the peer's name ${f.name} resolved to its Teredo address (DNS answer in frame ${f.frame}): the connection went over Teredo instead of over fe80:: on the IP-HTTPS link`
      : `the peer's name ${f.name} resolved to its global IP-HTTPS address (DNS answer in frame ${f.frame}): the connection went through the DirectAccess server, the IP-HTTPS router, instead of over fe80:: on the IP-HTTPS link`,
  }),
  'rdp.own_security': spec<{ frame: number; selected: string | null; standard: boolean }>({
    kind: 'note', meaning: "RDP's own security, reported beside the IPsec verdict: it never replaces IPsec.", evidence: 'The RDP Connection Confirm (MS-RDPBCGR §2.2.1.2).',
    text: (f) => f.selected === null ? `RDP's own security is unknown: the Connection Confirm (frame ${f.frame}) carries negotiation data that is not an RDP_NEG_RSP`
      : f.standard ? `RDP itself negotiated Standard RDP Security (RC4 inside RDP, frame ${f.frame}): that is not IPsec, and does not change the verdict`
        : `RDP itself negotiated ${f.selected} (frame ${f.frame}): application-layer encryption, reported beside the IPsec verdict, never instead of it`,
  }),

  // --- the DirectAccess context (classify/context.ts; protocols.md §1.7) ---
  'context.ra_prefix': spec<{ prefix: string; frame: number }>({
    kind: 'assumption', meaning: 'The IP-HTTPS client prefix was learnt from a Router Advertisement on the IP-HTTPS link.',
    evidence: 'A Router Advertisement with a Prefix Information option, received inside IP-HTTPS or on the tunnel interface (MS-IPHTTPS §3.2.3.1).',
    text: (f) => `IP-HTTPS prefix ${f.prefix} learnt from the Router Advertisement of frame ${f.frame}; give --iphttps-prefix to override`,
  }),
  'context.source_prefix': spec<{ prefix: string; flow: number; frame: number }>({
    kind: 'assumption', meaning: 'The IP-HTTPS client prefix was taken from the addresses a client sent from inside an IP-HTTPS tunnel whose start (and Router Advertisement) is not in the capture.',
    evidence: 'The global source /64 of IPv6 packets the client sent into a tunnel recognised mid-stream (MS-IPHTTPS §3.1.5.3).',
    text: (f) => `assumed IP-HTTPS prefix ${f.prefix} from the address the client sent from inside IP-HTTPS flow ${f.flow} (frame ${f.frame}; the tunnel's start and its Router Advertisement are not in the capture); give --iphttps-prefix to override`,
  }),
  'context.assumed_prefix': spec<{ prefix: string; ownFrame: number; peerName: string; peerFrame: number; routerFrames: number[]; ipHttpsFrame: number }>({
    kind: 'assumption', meaning: 'The IP-HTTPS client prefix was inferred from the capture: no Router Advertisement is in it and none was given.',
    evidence: "The capturing client's own address on the tunnel interface and its peer's AAAA answer in one /64 that is not Teredo, 6to4 or ISATAP, with ICMPv6 errors from that /64's router or an IP-HTTPS connection.",
    text: (f) => `assumed IP-HTTPS prefix ${f.prefix} from frames ${[f.ownFrame, f.peerFrame, ...f.routerFrames].join(', ')}: the client's own address on the tunnel interface (frame ${f.ownFrame}) and the AAAA answer for ${f.peerName} (frame ${f.peerFrame}) lie in it${f.routerFrames.length > 0 ? `, and its router sent ICMPv6 errors (${framesText(f.routerFrames)})` : `, and the capture holds IP-HTTPS (frame ${f.ipHttpsFrame})`}; give --iphttps-prefix to override`,
  }),

  // --- verdicts between clients (rules/verdicts.ts; protocols.md §3.6, §8) ---
  'ipsec.none': spec<{ scope: 'session' | 'pair'; proto: string; ports: string; packets: number; span: string; also: string; someAh: boolean }>({
    kind: 'reason', meaning: 'Traffic between two DirectAccess clients travelled without IPsec: clear, readable by anyone on the path.',
    evidence: 'TCP, UDP or ICMPv6 between the clients outside ESP and AH (neighbour discovery, IKE/AuthIP and ICMPv6 errors excepted).',
    text: (f) => f.scope === 'session'
      ? `${f.packets} packet(s) of this ${f.proto.toUpperCase()} session travel without IPsec (${f.span})${f.someAh ? ', although some others carry AH' : ''}`
      : `${f.proto.toUpperCase()} ${f.ports ? `${f.ports} ` : ''}travels without IPsec (${f.packets} packet(s), ${f.span})${f.also}`,
  }),
  'ah.integrity_only': spec<{ scope: 'session' | 'pair'; proto: string; spis: string[]; packets: number; span: string; also: string }>({
    kind: 'reason', meaning: 'AH protects the traffic: authenticated, but the payload is readable (RFC 4302).', evidence: 'AH headers on the packets between the clients.',
    text: (f) => f.scope === 'session'
      ? `every packet of the session is protected by AH (SPI ${f.spis.join(', ')}, ${f.span}): AH authenticates but does not encrypt, so the ${f.proto.toUpperCase()} payload is readable by anyone on the path (RFC 4302)`
      : `AH protects ${f.packets} ${f.proto.toUpperCase()} packet(s) (${f.span}${f.also}): integrity only, the payload is readable`,
  }),
  'esp.other_ciphertext': spec<{ spis: string[]; decides: 'clear' | 'integrity-only' }>({
    kind: 'note', meaning: 'Some traffic between the clients is ESP ciphertext, but other traffic decides the verdict.', evidence: 'Ciphertext SAs beside clear or integrity-only traffic.',
    text: (f) => `other traffic between them is ESP ciphertext (${f.spis.join(', ')})${f.decides === 'clear' ? ': the clear traffic is what decides' : ''}`,
  }),
  'esp.sa_bound': spec<{ flow: number; notTracked: number; tracked: number }>({
    kind: 'reason', meaning: 'ESP packets of SAs past the per-flow SA bound were counted but not judged, so the pair cannot be called encrypted.',
    evidence: 'More SAs on one flow than the bound (docs/cli.md, "Bounds").',
    text: (f) => `${f.notTracked} IPsec packet(s) of flow ${f.flow} belong to SAs past the bound of ${f.tracked} SAs per flow: not judged, so encryption is not proven`,
  }),
  'esp.one_direction': spec<{ sas: string[] }>({
    kind: 'reason', meaning: 'ESP went one way and nothing came back (protocols.md §7 row 16).', evidence: 'ESP SAs in one direction only, and no answer in any form.',
    text: (f) => `ESP travels in one direction only (${f.sas.join('; ')}) and nothing comes back: the SA is not installed on the other client, or the return path is filtered`,
  }),
  'esp.one_way_answered': spec<Record<string, never>>({
    kind: 'note', meaning: 'ESP was seen one way; the answers travelled outside ESP.', evidence: 'ESP in one direction and other traffic back.',
    text: () => 'ESP was seen in one direction only; the other direction answered outside ESP (see the sessions)',
  }),
  'pair.no_data': spec<{ negotiated: boolean }>({
    kind: 'reason', meaning: 'No data packet between the clients is in the capture, so there is nothing to judge.', evidence: 'Only negotiation or neighbour discovery between them.',
    text: (f) => f.negotiated ? 'the clients negotiated IPsec but no data packet between them is in the capture' : 'no data packet between these clients is in the capture (neighbour discovery only)',
  }),
  'session.attempt_protection': spec<{ ah: boolean }>({
    kind: 'note', meaning: 'How the failed attempt itself travelled.', evidence: 'The attempt’s packets.',
    text: (f) => f.ah ? 'the attempt was protected by AH only' : 'the attempt itself travelled without IPsec',
  }),
  'attempts.failed_clear': spec<{ frames: number[] }>({
    kind: 'note', meaning: 'Connection attempts went out without IPsec and failed beside the verdict (negotiation discovery, or a missing rule).', evidence: 'Unanswered, refused or unreachable clear attempts.',
    text: (f) => `${f.frames.length} connection attempt(s) went out without IPsec and failed (frames ${f.frames.join(', ')}): negotiation discovery or a missing rule`,
  }),
  'attempts.failed_ah': spec<{ frames: number[] }>({
    kind: 'note', meaning: 'Connection attempts under AH failed.', evidence: 'Failed attempts whose packets carry AH.',
    text: (f) => `${f.frames.length} connection attempt(s) under AH failed (frames ${f.frames.join(', ')})`,
  }),
  'isolation.name_resolution': spec<{ frames: number[] }>({
    kind: 'note', meaning: 'Link-local name resolution or DHCPv6 between the clients went without IPsec: an isolation-policy finding, not a session.', evidence: 'LLMNR, mDNS or DHCPv6 between the clients.',
    text: (f) => `name resolution or DHCPv6 went without IPsec (frames ${f.frames.join(', ')}): an isolation-policy finding, not a session`,
  }),
  // --- IKE / AuthIP (app/ike-negotiations.ts outcomes; protocols.md §4.4, §7 rows 9–13) ---
  'ike.complete': spec<{ protocol: string; detail: string; state: string }>({
    kind: 'note', meaning: 'The IKE or AuthIP negotiation completed.', evidence: 'Main Mode and Quick Mode (AuthIP: encrypted 0xF3 or 0xF4 from both sides) or IKE_AUTH both ways.',
    text: (f) => `the ${f.protocol} negotiation between them completed: ${f.detail}`,
  }),
  'ike.no_response': spec<{ protocol: string; detail: string; state: string }>({
    kind: 'reason', meaning: 'Only the initiator spoke: UDP 500 blocked, no policy on the responder, or it does not speak the protocol (protocols.md §7 row 9).', evidence: 'Negotiation messages from the initiator and no answer.',
    text: (f) => `the ${f.protocol} negotiation between them got no response (no-response): ${f.detail}`,
  }),
  'authip.notify': spec<{ protocol: string; detail: string; state: string; notify: string; side: string }>({
    kind: 'cause', meaning: 'The AuthIP negotiation was refused with an error Notify; its error names the cause (protocols.md §4.4, §7 row 10).', evidence: 'An AuthIP Notify payload with an error type, readable in clear.',
    text: (f) => `the AuthIP negotiation between them was refused with an error notify: the ${f.side} sent ${f.notify} (${f.detail})`,
  }),
  'ike.notify': spec<{ protocol: string; detail: string; state: string; notify: string; side: string }>({
    kind: 'cause', meaning: 'The IKE negotiation was refused with an error Notify.', evidence: 'An IKE Notify payload with an error type, readable in clear.',
    text: (f) => `the ${f.protocol} negotiation between them was refused with an error notify: the ${f.side} sent ${f.notify} (${f.detail})`,
  }),
  'ike.failed_after_auth': spec<{ protocol: string; detail: string; state: string }>({
    kind: 'reason', meaning: 'The negotiation failed after authentication (Kerberos error, a Notify exchange, or no Quick Mode).', evidence: 'Main Mode in clear, then a failure and no protected Quick Mode from both sides.',
    text: (f) => `the ${f.protocol} negotiation between them failed after authentication (failed-after-authentication): ${f.detail}`,
  }),
  'ike.in_progress': spec<{ protocol: string; detail: string; state: string }>({
    kind: 'reason', meaning: 'The capture ends in the middle of the negotiation.', evidence: 'Messages from both sides and no end.',
    text: (f) => `the ${f.protocol} negotiation between them was still under way when the capture ended (in-progress): ${f.detail}`,
  }),
  'keying.end_not_seen': spec<{ protocol: string; state: string; firstFrame: number; lastFrame: number }>({
    kind: 'note', meaning: 'The capture does not show how the negotiation ended, but ESP flows both ways after it: it did not fail.', evidence: 'An incomplete negotiation followed by ESP in both directions.',
    // Its messages alone read as failed or unfinished; the ESP after it refutes that reading, so the sentence names it as
    // what the messages show, never as what happened.
    text: (f) => `the capture does not show the ${f.protocol} negotiation of frames ${f.firstFrame}–${f.lastFrame} complete (its messages alone read as ${f.state}), but ESP flows both ways after it, so it did not fail: the messages that completed it are not in the capture`,
  }),
  'keying.negotiations': spec<{ list: string[] }>({
    kind: 'note', meaning: 'The IKE/AuthIP negotiations between the two clients.', evidence: 'ISAKMP messages between them.',
    text: (f) => `IKE/AuthIP between these clients: ${f.list.join('; ')}`,
  }),
  'keying.negotiated': spec<{ list: string[]; firstEsp: number }>({
    kind: 'note', meaning: 'The negotiation that keyed the ESP SAs is in the capture.', evidence: 'IKE/AuthIP between the clients before the first ESP packet.',
    text: (f) => `keyed by ${f.list.join('; ')} before the first ESP packet (frame ${f.firstEsp})`,
  }),
  'keying.before_capture': spec<{ firstEsp: number }>({
    kind: 'note', meaning: 'The SAs were negotiated before the capture started; the ESP itself still decides.', evidence: 'ESP between the clients and no IKE/AuthIP before it.',
    text: (f) => `no IKE/AuthIP between these clients precedes the first ESP packet (frame ${f.firstEsp}): the SA was established before the capture started`,
  }),
  'iphttps.tls_alert': spec<{ flow: number; server: string; from: 'client' | 'server'; alert: string; frame: number; hello: number }>({
    kind: 'cause', meaning: 'The IP-HTTPS link did not come up: the TLS handshake ended with a fatal alert (protocols.md §7 row 1).',
    evidence: 'A plaintext TLS alert of level fatal on a connection that tried to bring up IP-HTTPS, before the server\'s 200 OK.',
    text: (f) => `the IP-HTTPS link to ${f.server} (flow ${f.flow}) did not come up: after the ClientHello (frame ${f.hello}) the ${f.from} sent the fatal TLS alert ${f.alert} (frame ${f.frame})`,
  }),
  'iphttps.reset_after_hello': spec<{ flow: number; server: string; hello: number; last: number }>({
    kind: 'cause', meaning: 'The IP-HTTPS link did not come up: the server side reset the connection after the ClientHello (protocols.md §7 row 1).',
    evidence: 'A ClientHello that tried to bring up IP-HTTPS, no ServerHello, and a RST from the server side.',
    text: (f) => `the IP-HTTPS link to ${f.server} (flow ${f.flow}) did not come up: the server side reset the connection after the ClientHello (frame ${f.hello}) without a ServerHello (last frame ${f.last})`,
  }),
  'iphttps.http_status': spec<{ flow: number; server: string; status: number; text: string; frame: number }>({
    kind: 'cause', meaning: 'The IP-HTTPS link did not come up: the server answered the IP-HTTPS request with an HTTP status other than 200 (MS-IPHTTPS §3.2.5.1).',
    evidence: 'The HTTP response, readable under a NULL cipher suite, to the client\'s POST.',
    text: (f) => `the IP-HTTPS link to ${f.server} (flow ${f.flow}) did not come up: the server answered HTTP ${f.status} ${f.text} (frame ${f.frame}) instead of 200 OK`,
  }),
  'iphttps.reconnects': spec<{ server: string; attempts: number; frames: number[]; gaps: number[] }>({
    kind: 'cause', meaning: 'The client tried to bring up IP-HTTPS again and again: every attempt failed (MS-IPHTTPS §3.1.2.1 reconnects at about 30 s, then at growing intervals).',
    evidence: 'Two or more connections to one server that tried to bring up IP-HTTPS and never got a 200 OK or carried IPv6.',
    text: (f) => `${f.attempts} attempts to bring up IP-HTTPS to ${f.server} failed (first frames ${f.frames.join(', ')}${f.attempts > f.frames.length ? ', …' : ''}; ${f.gaps.length > 0 ? `seconds between them: ${f.gaps.join(', ')}` : ''}): the client keeps retrying and the link never comes up`,
  }),
  'teredo.no_answer': spec<{ flow: number; server: string; packets: number; first: number; last: number; seconds: number }>({
    kind: 'cause', meaning: 'Teredo did not come up: the Teredo server never answered the client (protocols.md §7 row 3); the client falls back to IP-HTTPS.',
    evidence: 'Two or more packets of the client to UDP 3544 (a Teredo flow) and none back.',
    text: (f) => `Teredo did not come up: ${f.packets} packets to the Teredo server ${f.server} (UDP 3544, frames ${f.first}–${f.last}, over ${f.seconds} s) got no answer`,
  }),
  '6to4.no_answer': spec<{ flow: number; server: string; packets: number; first: number; last: number; seconds: number }>({
    kind: 'cause', meaning: '6to4 did not come up: the 6to4 relay never answered (protocols.md §7 row 4); the client falls back to Teredo or IP-HTTPS.',
    evidence: 'Two or more 6to4 packets (IPv4 protocol 41) to one relay and none back.',
    text: (f) => `6to4 did not come up: ${f.packets} packets of IPv6 in IPv4 (protocol 41) to the relay ${f.server} (frames ${f.first}–${f.last}, over ${f.seconds} s) got no answer`,
  }),
  'fleet.sides_disagree': spec<{ protectedFile: string; protectedVerdict: string; protectedFrames: string; clearFile: string; clearFrames: string }>({
    kind: 'cause', meaning: 'Captures of the same traffic from its two sides disagree: one shows it protected by IPsec, the other in clear.',
    evidence: 'Across the files of one run, the same addresses (and ports) overlapping in time (within 5 minutes, the clock skew Kerberos accepts), encrypted or integrity-only in one file and clear in another.',
    text: (f) => `${f.protectedFile} shows it ${f.protectedVerdict} (${f.protectedFrames}), ${f.clearFile} in clear (${f.clearFrames}): the two sides of the same traffic disagree`,
  }),
  'iphttps.auth_none': spec<{ connections: { flow: number; frame: number }[] }>({
    kind: 'cause', meaning: 'The IP-HTTPS server does not authenticate clients (mode None) and so drops link-local unicast between them (MS-IPHTTPS §3.2.5.2.2; protocols.md §1.5, §7 row 7).',
    evidence: 'No CertificateRequest in the handshake of the IP-HTTPS connection that carried (or was up during) an attempt over fe80:: that got no packet at all back from the peer.',
    text: (f) => `likely cause: the IP-HTTPS server does not authenticate clients (authentication mode None: no CertificateRequest in the handshake of ${f.connections.map((c) => `flow ${c.flow}, frame ${c.frame}`).join('; ')}); in that mode it drops link-local unicast between clients (MS-IPHTTPS §3.2.5.2.2), so a session over fe80:: cannot be established and nothing came back from the peer`,
  }),
  // --- coverage (rules/coverage.ts) ---
  'coverage.opaque_iphttps': spec<{ flow: number; suite: string }>({
    kind: 'coverage', meaning: 'IP-HTTPS with a real cipher suite hides the IPv6 inside it, and any client-to-client session it carries.', evidence: 'An IP-HTTPS connection whose ServerHello chose an encrypting suite.',
    text: (f) => `the IP-HTTPS connection of flow ${f.flow} uses ${f.suite}: the IPv6 traffic inside it (and so any client-to-client session it carries) cannot be observed in this capture; capture on the IP-HTTPS tunnel interface instead`,
  }),
  'coverage.opaque_tunnel': spec<{ flow: number; why: string }>({
    kind: 'coverage', meaning: 'A tunnel to the DirectAccess server could not be read.', evidence: 'Records that are not plaintext IPv6 on a connection to a known IP-HTTPS server.',
    text: (f) => `the tunnel of flow ${f.flow} cannot be read: ${f.why}`,
  }),
  'coverage.ipsec_to_server': spec<{ flow: number; span: string; packets: number }>({
    kind: 'coverage', meaning: 'ESP between a client and the DirectAccess server may carry traffic the server relays to another client; it cannot be judged from this capture.',
    evidence: 'ESP between a DA client and the DA server (IPsec tunnel mode over Teredo, 6to4 or IP-HTTPS).',
    text: (f) => `ESP between a client and the DirectAccess server (flow ${f.flow}, ${f.packets} packet(s), ${f.span}) may carry traffic the server relays to another client: what is inside cannot be judged here; capture on the other client too`,
  }),
  'coverage.midstream_tunnel': spec<{ flow: number }>({
    kind: 'coverage', meaning: 'An IP-HTTPS connection was recognised from its records: its handshake is not in the capture.', evidence: 'TLS records carrying plaintext IPv6 at consistent offsets.',
    text: (f) => `the IP-HTTPS connection of flow ${f.flow} began before the capture: its handshake is not in it, and the NULL cipher was inferred from its records`,
  }),
  'coverage.carrier_ended': spec<{ flow: number; how: 'expired' | 'evicted'; frame: number; lastFrame: number; resumedBy: number | null }>({
    kind: 'coverage', meaning: 'A tunnel, IPsec or link-local flow was ended by a bound (idle expiry, or eviction under --max-flows) while the capture went on.',
    evidence: 'The flow table ended the flow before the end of the capture (docs/cli.md, "Bounds").',
    text: (f) => `flow ${f.flow} (last packet frame ${f.lastFrame}) was ${f.how === 'expired' ? 'finished after an idle gap longer than --flow-idle' : 'evicted to stay within --max-flows'} at frame ${f.frame}${f.resumedBy !== null ? `; its later packets were taken up again by flow ${f.resumedBy}` : '; no later packet of it is in the capture'}`,
  }),
  'coverage.bound': spec<{ id: string; limit: number; dropped: number; clientCapable: number; what: string }>({
    kind: 'coverage', meaning: 'A bound of the analysis dropped something; when it could have carried traffic between clients, the result is incomplete.', evidence: 'The bound counters (docs/cli.md, "Bounds").',
    text: (f) => `${f.what} (bound ${f.id} = ${f.limit}: ${f.dropped} dropped${f.clientCapable > 0 ? `, ${f.clientCapable} of which could carry traffic between clients` : ''})`,
  }),
  'coverage.snaplen': spec<{ spis: string[]; undecided: number }>({
    kind: 'coverage', meaning: 'The snaplen cut ESP packets between clients: their trailers are not in the capture.', evidence: 'ESP packets shorter in the capture than on the wire.',
    text: (f) => `the snaplen cut ESP packets of SA ${f.spis.join(', ')}${f.undecided > 0 ? `; ${f.undecided} of them could not be judged` : ', judged from the start of their payload'}; capture whole packets (pktmon --pkt-size 0)`,
  }),
  'coverage.interface_drops': spec<{ interfaces: { interface: number; dropped: number }[] }>({
    kind: 'coverage', meaning: 'The capture tool reported packets it dropped: traffic between clients may be missing from the capture.',
    evidence: 'A pcapng Interface Statistics Block with isb_ifdrop or isb_osdrop above 0 (pcapng §4.6).',
    text: (f) => `the capture tool dropped packets: ${f.interfaces.map((i) => `${i.dropped} on interface ${i.interface}`).join(', ')} (pcapng Interface Statistics); what they carried is not in the capture, so capture again with a larger buffer or a filter`,
  }),
  'coverage.one_side': spec<{ connections: number; flows: number[] }>({
    kind: 'coverage', meaning: 'The capture holds only one direction of TCP connections between clients: what the other direction carried was not seen.',
    evidence: 'A TCP connection between two clients whose packets all come from one side, which sends pure ACKs: they acknowledge packets the capture does not hold (RFC 9293 §3.4).',
    text: (f) => `${f.connections} TCP connection(s) between clients were captured in one direction only (flows ${f.flows.join(', ')}${f.connections > f.flows.length ? ', …' : ''}), although that side acknowledges packets the capture does not hold: a capture filter, asymmetric routing, or an interface not captured; capture on both clients, or on every interface (netsh trace … capture=yes)`,
  }),
  'coverage.time_order': spec<{ count: number; frames: number[] }>({
    kind: 'coverage', meaning: 'Packets are not in time order in the file: the first and last frame of a session may not be its first and last packet in time.',
    evidence: 'Frames stamped earlier than the frame before them (the reader\'s capture.time_went_backwards).',
    text: (f) => `${f.count} frame(s) are stamped earlier than the frame before them (${f.frames.slice(0, 5).join(', ')}${f.count > 5 ? ', …' : ''}): the file is not in time order (merged captures, or clocks of several interfaces); frame order is used as it is`,
  }),
  'coverage.no_client_traffic': spec<{ candidates: number; list: string[] }>({
    kind: 'coverage', meaning: 'No traffic between DirectAccess clients is visible in the capture.', evidence: 'No flow between two endpoints whose role is DA client.',
    text: (f) => f.candidates === 0
      ? "no traffic between DirectAccess clients is visible in this capture, so no session could be judged; capture on both clients' IP-HTTPS tunnel interfaces, or on their network cards while IP-HTTPS uses a NULL cipher suite"
      : `no traffic between DirectAccess clients is visible in this capture, so no session could be judged. ${f.candidates} TLS connection(s) on port 443 with an encrypting cipher suite could be IP-HTTPS hiding it (${f.list.join('; ')}${f.candidates > 5 ? '; …' : ''}): if one of them goes to the DirectAccess server, name the server with --da-server, or capture on the IP-HTTPS tunnel interface`,
  }),
} as const satisfies Record<string, Spec<never>>;

export type ReasonCode = keyof typeof REASONS;
export type FactsOf<C extends ReasonCode> = Parameters<(typeof REASONS)[C]['text']>[0];

/** A statement of a report: its code, its sentence (rendered from the facts), the frames that show it, and the facts. */
export interface Reason {
  code: ReasonCode;
  text: string;
  frames: number[];
  facts: object;
}

/** Builds a statement: the sentence comes from the code's template and the facts; frames are kept once each, in order. */
export function reason<C extends ReasonCode>(code: C, facts: FactsOf<C>, frames: readonly number[]): Reason {
  const render = REASONS[code].text as (f: FactsOf<C>) => string;
  return { code, text: render(facts), frames: [...new Set(frames.filter((x) => x > 0))], facts };
}
