/** Pairs ISAKMP messages into IKEv1 / IKEv2 / AuthIP negotiations and judges how each ended ([MS-AIPS] §3, §4.1; RFC 2409 §5; RFC 7296 §1.2). */

import { hex, sameBytes } from '../util/bytes.js';
import type { GssMechanism, IkeProtocol, IsakmpHeader, IsakmpMessage, KerberosFacts, WindowsError } from './isakmp.js';

/** Where and when one message was seen (read during the call: the tracker copies what it keeps, addresses by reference). */
export interface IkeMessageContext {
  frame: number;
  flowId: number;
  /** Source and destination addresses, 16 bytes each (IPv4 mapped); kept by reference, so they must not change. */
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
  sec: number;
  nsec: number;
}

export type IkeDirection = 'i→r' | 'r→i';

export interface IkeEndpoint {
  /** Hex of the 16-byte address (IPv4 mapped), as flows show addresses. */
  address: string;
  port: number;
}

export interface IkeNegotiationMessage {
  frame: number;
  sec: number;
  nsec: number;
  exchange: string;
  direction: IkeDirection;
  encrypted: boolean;
  /** One line: exchange, clear or encrypted, payloads, and the facts worth reading. */
  summary: string;
}

/** A GSS-API payload seen in clear ([MS-AIPS] §2.2.3.1). */
export interface IkeGssFact {
  frame: number;
  direction: IkeDirection;
  status: WindowsError;
  flagNames: string[];
  mechanism: GssMechanism;
  tokenKind: string | null;
  kerberos: KerberosFacts | null;
}

export interface IkeNotifyError {
  frame: number;
  direction: IkeDirection;
  type: number;
  name: string;
  windowsError: WindowsError | null;
}

export type IkeOutcomeState = 'complete' | 'no-response' | 'failed-after-authentication' | 'notify-error' | 'in-progress';

export interface IkeOutcome {
  state: IkeOutcomeState;
  /** A plain sentence that names the deciding frames. */
  reason: string;
  /** The frames the verdict rests on. */
  frames: number[];
}

export interface IkeNegotiation {
  protocol: IkeProtocol;
  initiator: IkeEndpoint;
  responder: IkeEndpoint;
  initiatorSpi: string;
  /** All zeros until the responder's SPI is seen. */
  responderSpi: string;
  flowIds: number[];
  messages: IkeNegotiationMessage[];
  /** AuthIP Auth payload methods and IKEv1/AuthIP SA authentication methods, each once, in order seen. */
  authMethods: string[];
  gss: IkeGssFact[];
  /** Vendor ID names (hex when unknown), each once per side. */
  vendorIds: { initiator: string[]; responder: string[] };
  notifyErrors: IkeNotifyError[];
  firstFrame: number;
  lastFrame: number;
  /** Messages after the first MAX_MESSAGES_KEPT: counted (and in lastFrame), not kept. */
  messagesNotKept: number;
  outcome: IkeOutcome;
}

/**
 * Messages kept per negotiation. A real one has a dozen or so (retransmissions included); a flood on one SPI
 * pair must not grow memory with every packet, and its outcome is decided by the first messages anyway.
 */
export const MAX_MESSAGES_KEPT = 64;
/** Frames kept of the messages a bound left out. */
const FRAMES_KEPT = 5;
/**
 * Negotiations tracked per capture. A real capture has a few dozen; a flood of initiator SPIs (a scan, a replay)
 * must not grow memory with every packet. Messages of negotiations past the bound are counted, not tracked.
 */
export const MAX_NEGOTIATIONS = 10_000;

const ZERO_SPI = '0000000000000000';
/** [MS-AIPS] §2.2.1 exchange types. */
const AUTHIP_MAIN_MODE = 0xf3;
const AUTHIP_QUICK_MODE = 0xf4;
const AUTHIP_NOTIFY = 0xf6;
/** RFC 2409 §5 / RFC 2408 §4.8 exchange types. */
const V1 = { MainMode: 2, Aggressive: 4, Informational: 5, QuickMode: 32 } as const;
/** RFC 7296 §1.2. */
const V2 = { SaInit: 34, Auth: 35 } as const;
/** RFC 7296 §3.1: the I(nitiator) and R(esponse) flags of the IKEv2 header. */
const IKEV2_INITIATOR_FLAG = 0x08;
const IKEV2_RESPONSE_FLAG = 0x20;
/** [MS-AIPS] §2.2.3.5 NOTIFY_DOS_COOKIE, and [MS-IKEE] §2.2.6 NOTIFY_DOS_COOKIE. */
const DOS_COOKIES = [0x9c55, 0x9c44];

/**
 * What the outcome rules read of a kept message. Why not the parsed message itself: it is a score of objects, and
 * keeping thousands of them (64 per negotiation) made every young-generation GC copy them; this is one small object.
 */
interface SeenMessage {
  exchange: number;
  exchangeName: string;
  encrypted: boolean;
  /** IKEv2 R flag: the message is a response (RFC 7296 §3.1). */
  response: boolean;
  /** The responder SPI is not zero. */
  hasResponderSpi: boolean;
  notifyTypes: readonly number[];
  fragmented: boolean;
}

interface Seen {
  msg: SeenMessage;
  dir: IkeDirection;
  frame: number;
}

const NO_NOTIFIES: readonly number[] = [];

/** One negotiation being built: the public record (outcome filled in by finish) plus the messages behind it. */
interface Work {
  neg: Omit<IkeNegotiation, 'outcome'>;
  seen: Seen[];
  /** What names it, as numbers and bytes: compared per message without building strings. */
  initiatorSpiHi: number;
  initiatorSpiLo: number;
  responderSpiHi: number;
  responderSpiLo: number;
  initiatorAddress: Uint8Array;
  responderAddress: Uint8Array;
}

/** A negotiation that keeps the message being added: what `place` returns and `record` takes back. */
export type IkeNegotiationSlot = Work;

/**
 * Groups messages by protocol, initiator SPI and the (unordered) address pair, then by responder SPI once
 * known: a message whose responder SPI is zero belongs to the latest negotiation of its initiator SPI
 * ([MS-AIPS] §2.2.1: the cookie pair, plus addresses and ports, names a negotiation; RFC 7296 §2.6).
 * The address pair keeps two hosts that picked the same initiator SPI apart; ports are left out because
 * NAT traversal moves a negotiation from UDP 500 to 4500 mid-way (RFC 3947 §4).
 *
 * A message is added in two steps: `place` finds its negotiation from the header alone, and `record` takes
 * the parsed message. Why: once a negotiation keeps MAX_MESSAGES_KEPT messages, later ones are only counted,
 * so a flood of retransmissions costs a header read each instead of a full parse.
 */
export class IkeNegotiationTracker {
  /** Hash of protocol, initiator SPI and address pair → the negotiations with that hash, oldest first. */
  private readonly byKey = new Map<number, Work[]>();
  private readonly all: Work[] = [];
  /** Messages of negotiations past MAX_NEGOTIATIONS (each would have started one, or belongs to one not tracked): counted only. */
  messagesNotTracked = 0;
  /** The first frames (at most 5) of those messages, and of messages past MAX_MESSAGES_KEPT in a negotiation. */
  readonly notTrackedFrames: number[] = [];
  readonly notKeptFrames: number[] = [];
  /** Messages past MAX_MESSAGES_KEPT, over all negotiations (each negotiation counts its own in messagesNotKept). */
  notKeptCount = 0;
  /** The bounds: negotiations per capture and messages kept per negotiation. */
  readonly maxNegotiations: number;
  readonly maxMessages: number;

  constructor(maxNegotiations = MAX_NEGOTIATIONS, maxMessages = MAX_MESSAGES_KEPT) {
    this.maxNegotiations = maxNegotiations;
    this.maxMessages = maxMessages;
  }

  /**
   * The negotiation the message with header `h` belongs to, started if it is the first: the slot to `record` the
   * parsed message in. Null when that negotiation already keeps MAX_MESSAGES_KEPT messages: the message is then
   * counted (in messagesNotKept and lastFrame) and needs no parsing; also null when the message would start a
   * negotiation past MAX_NEGOTIATIONS (counted in messagesNotTracked).
   */
  place(h: IsakmpHeader, ctx: IkeMessageContext): IkeNegotiationSlot | null {
    const key = negotiationKey(h, ctx.src, ctx.dst);
    const list = this.byKey.get(key);
    let w: Work | undefined;
    if (list === undefined) w = undefined;
    else if (h.responderSpiHi === 0 && h.responderSpiLo === 0) w = latest(list, h, ctx, false);
    else {
      w = withResponder(list, h, ctx) ?? latest(list, h, ctx, true);
      if (w && w.responderSpiHi === 0 && w.responderSpiLo === 0) {
        w.responderSpiHi = h.responderSpiHi;
        w.responderSpiLo = h.responderSpiLo;
        w.neg.responderSpi = spiHex(h.responderSpiHi, h.responderSpiLo);
      }
    }
    if (!w) {
      if (this.all.length >= this.maxNegotiations) {
        this.messagesNotTracked++;
        if (this.notTrackedFrames.length < FRAMES_KEPT) this.notTrackedFrames.push(ctx.frame);
        return null;
      }
      w = start(h, ctx);
      if (list === undefined) this.byKey.set(key, [w]);
      else list.push(w);
      this.all.push(w);
    }
    const neg = w.neg;
    neg.firstFrame = Math.min(neg.firstFrame, ctx.frame);
    neg.lastFrame = Math.max(neg.lastFrame, ctx.frame);
    if (w.seen.length < this.maxMessages) return w;
    neg.messagesNotKept++;
    this.notKeptCount++;
    if (this.notKeptFrames.length < FRAMES_KEPT) this.notKeptFrames.push(ctx.frame);
    return null;
  }

  /** Adds the parsed message to the negotiation `place` returned for it. */
  record(slot: IkeNegotiationSlot, msg: IsakmpMessage, ctx: IkeMessageContext): void {
    record(slot, msg, ctx);
  }

  /** The negotiations in order of their first frame, each with its outcome. */
  finish(): IkeNegotiation[] {
    return this.all.map((w) => {
      const o = outcome(w);
      const more = w.neg.messagesNotKept;
      // Said in the reason, so every report shows that the outcome rests on the first messages only.
      const reason = more > 0 ? `${o.reason} ${more} later message(s), to frame ${w.neg.lastFrame}, were counted but not examined.` : o.reason;
      return { ...w.neg, outcome: { ...o, reason } };
    }).sort((a, b) => a.firstFrame - b.firstFrame);
  }
}

const PROTOCOL_CODES: Record<IkeProtocol, number> = { IKEv1: 1, IKEv2: 2, AuthIP: 3 };

/**
 * FNV-style mix of protocol, initiator SPI and the address pair (made order-free by combining the two addresses'
 * hashes by sum and product). An int32, so that the Map key is a small integer and never a boxed double.
 */
function negotiationKey(h: IsakmpHeader, a: Uint8Array, b: Uint8Array): number {
  const ha = bytesHash(a);
  const hb = bytesHash(b);
  let k = Math.imul(0x811c9dc5 ^ PROTOCOL_CODES[h.protocol], 0x01000193);
  k = Math.imul(k ^ h.initiatorSpiHi, 0x01000193);
  k = Math.imul(k ^ h.initiatorSpiLo, 0x01000193);
  k = Math.imul(k ^ ((ha + hb) | 0), 0x01000193);
  return (k ^ Math.imul(ha, hb)) | 0;
}

function bytesHash(a: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a[i]!, 0x01000193);
  return h;
}

/** The same protocol, initiator SPI and address pair (keys can collide). */
function sameInitiator(w: Work, h: IsakmpHeader, ctx: IkeMessageContext): boolean {
  if (w.neg.protocol !== h.protocol || w.initiatorSpiHi !== h.initiatorSpiHi || w.initiatorSpiLo !== h.initiatorSpiLo) return false;
  const i = w.initiatorAddress;
  const r = w.responderAddress;
  return (sameBytes(ctx.src, i) && sameBytes(ctx.dst, r)) || (sameBytes(ctx.src, r) && sameBytes(ctx.dst, i));
}

/** The negotiation of this initiator SPI and pair that has this (non-zero) responder SPI. */
function withResponder(list: Work[], h: IsakmpHeader, ctx: IkeMessageContext): Work | undefined {
  for (const w of list) {
    if (w.responderSpiHi === h.responderSpiHi && w.responderSpiLo === h.responderSpiLo && sameInitiator(w, h, ctx)) return w;
  }
  return undefined;
}

/** The latest negotiation of this initiator SPI and pair; with `unanswered`, the latest whose responder SPI is still zero. */
function latest(list: Work[], h: IsakmpHeader, ctx: IkeMessageContext, unanswered: boolean): Work | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    const w = list[i]!;
    if (!sameInitiator(w, h, ctx)) continue;
    if (!unanswered || (w.responderSpiHi === 0 && w.responderSpiLo === 0)) return w;
  }
  return undefined;
}

/** The SPI's 16 hex digits from its two signed halves (IsakmpHeader). */
function spiHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** The initiator is the sender of the first message seen, unless an IKEv2 message says otherwise by its I flag (RFC 7296 §3.1). */
function start(h: IsakmpHeader, ctx: IkeMessageContext): Work {
  const fromResponder = h.protocol === 'IKEv2' && (h.flags & IKEV2_INITIATOR_FLAG) === 0;
  const src = { address: hex(ctx.src), port: ctx.srcPort };
  const dst = { address: hex(ctx.dst), port: ctx.dstPort };
  return {
    neg: {
      protocol: h.protocol,
      initiator: fromResponder ? dst : src,
      responder: fromResponder ? src : dst,
      initiatorSpi: spiHex(h.initiatorSpiHi, h.initiatorSpiLo),
      responderSpi: spiHex(h.responderSpiHi, h.responderSpiLo),
      flowIds: [],
      messages: [],
      authMethods: [],
      gss: [],
      vendorIds: { initiator: [], responder: [] },
      notifyErrors: [],
      firstFrame: ctx.frame,
      lastFrame: ctx.frame,
      messagesNotKept: 0,
    },
    seen: [],
    initiatorSpiHi: h.initiatorSpiHi,
    initiatorSpiLo: h.initiatorSpiLo,
    responderSpiHi: h.responderSpiHi,
    responderSpiLo: h.responderSpiLo,
    initiatorAddress: fromResponder ? ctx.dst : ctx.src,
    responderAddress: fromResponder ? ctx.src : ctx.dst,
  };
}

/**
 * IKEv2 marks the original initiator's messages with the I flag (RFC 7296 §3.1). IKEv1 and AuthIP keep their
 * roles for the whole negotiation ([MS-AIPS] §1.3), so the sender's address decides (its port when both
 * peers share an address).
 */
function direction(w: Work, msg: IsakmpMessage, ctx: IkeMessageContext): IkeDirection {
  if (msg.protocol === 'IKEv2') return (msg.flags.value & IKEV2_INITIATOR_FLAG) !== 0 ? 'i→r' : 'r→i';
  const fromInitiator = !sameBytes(w.initiatorAddress, w.responderAddress) ? sameBytes(ctx.src, w.initiatorAddress) : ctx.srcPort === w.neg.initiator.port;
  return fromInitiator ? 'i→r' : 'r→i';
}

function record(w: Work, msg: IsakmpMessage, ctx: IkeMessageContext): void {
  const neg = w.neg;
  const dir = direction(w, msg, ctx);
  w.seen.push({
    msg: {
      exchange: msg.exchange, exchangeName: msg.exchangeName, encrypted: msg.encrypted, response: (msg.flags.value & IKEV2_RESPONSE_FLAG) !== 0,
      hasResponderSpi: msg.responderSpi !== ZERO_SPI, notifyTypes: msg.notifies.length > 0 ? msg.notifies.map((n) => n.type) : NO_NOTIFIES,
      fragmented: msg.fragments.length > 0,
    },
    dir, frame: ctx.frame,
  });
  if (!neg.flowIds.includes(ctx.flowId)) neg.flowIds.push(ctx.flowId);
  neg.messages.push({
    frame: ctx.frame, sec: ctx.sec, nsec: ctx.nsec, exchange: msg.exchangeName, direction: dir, encrypted: msg.encrypted, summary: summary(msg),
  });
  for (const m of msg.authMethods) addOnce(neg.authMethods, m.name);
  for (const sa of msg.sa) {
    for (const p of sa.proposals) {
      for (const t of p.transforms) {
        // RFC 2409 Appendix A: attribute class 3 is the phase 1 authentication method.
        for (const a of t.attributes) if (p.protocolId === 1 && a.type === 3) addOnce(neg.authMethods, a.valueName ?? `method ${a.value}`);
      }
    }
  }
  for (const g of msg.gss) {
    neg.gss.push({ frame: ctx.frame, direction: dir, status: g.status, flagNames: g.flagNames, mechanism: g.mechanism, tokenKind: g.tokenKind, kerberos: g.kerberos });
  }
  const vids = dir === 'i→r' ? neg.vendorIds.initiator : neg.vendorIds.responder;
  for (const v of msg.vendorIds) addOnce(vids, v.name === null ? v.hex : v.windows ? `${v.name} (${v.windows})` : v.name);
  for (const n of msg.notifies) {
    if (n.error) neg.notifyErrors.push({ frame: ctx.frame, direction: dir, type: n.type, name: n.name, windowsError: n.windowsError ?? null });
  }
}

function addOnce(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** E.g. "Main Mode (clear): Crypto, SA, Auth, Nonce, Vendor ID ×3; auth Kerberos; GSS Kerberos AP-REQ for host/b@EXAMPLE.COM". */
function summary(msg: IsakmpMessage): string {
  const head = `${msg.exchangeName} (${msg.encrypted ? 'encrypted' : 'clear'})`;
  const counts = new Map<string, number>();
  for (const p of msg.payloads) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
  const payloads = [...counts].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
  const facts: string[] = [];
  if (msg.authMethods.length > 0) facts.push(`auth ${msg.authMethods.map((m) => m.name).join('/')}`);
  for (const n of msg.notifies) facts.push(`notify ${n.name}${n.windowsError && n.windowsError.code !== 0 ? ` ${n.windowsError.name ?? n.windowsError.hex}` : ''}`);
  for (const g of msg.gss) {
    const k = g.kerberos;
    const target = k?.sname ? ` for ${k.sname}${k.realm ? `@${k.realm}` : ''}` : '';
    const error = k?.errorCode !== null && k?.errorCode !== undefined ? ` ${k.errorName ?? `error ${k.errorCode}`}` : '';
    const status = g.status.code !== 0 ? ` status ${g.status.name ?? g.status.hex}` : '';
    facts.push(`GSS ${g.mechanism}${g.tokenKind ? ` ${g.tokenKind}` : ''}${target}${error}${status}`);
  }
  for (const fr of msg.fragments) facts.push(`fragment ${fr.number}${fr.total !== null ? `/${fr.total}` : ''}${fr.last ? ' (last)' : ''}`);
  return [payloads ? `${head}: ${payloads}` : head, ...facts].join('; ');
}

// --- outcomes -----------------------------------------------------------------------------------------

function first(w: Work, pred: (s: Seen) => boolean): Seen | undefined {
  return w.seen.find(pred);
}

function framesText(frames: number[]): string {
  return frames.length === 1 ? `frame ${frames[0]}` : `frames ${frames.join(', ')}`;
}

function side(dir: IkeDirection): string {
  return dir === 'i→r' ? 'initiator' : 'responder';
}

/**
 * Precedence: a completed negotiation is complete even if a later notify deletes it; otherwise a readable
 * error notify names the failure; otherwise a silent responder; then the protocol's own failure pattern;
 * otherwise the capture ended mid-way.
 */
function outcome(w: Work): IkeOutcome {
  const done = completed(w);
  if (done) return done;
  const err = firstError(w);
  if (err) return err;
  if (!w.seen.some((s) => s.dir === 'r→i')) return noResponse(w);
  const failed = w.neg.protocol === 'AuthIP' ? authipFailed(w) : w.neg.protocol === 'IKEv1' ? ikev1Failed(w) : null;
  if (failed) return failed;
  const byI = w.seen.filter((s) => s.dir === 'i→r').length;
  return {
    state: 'in-progress',
    reason: `The capture ends mid-negotiation after ${byI} message(s) from the initiator and ${w.seen.length - byI} from the responder (last ${framesText([w.neg.lastFrame])}).${notes(w)}`,
    frames: [w.neg.lastFrame],
  };
}

function completed(w: Work): IkeOutcome | null {
  const from = (dir: IkeDirection, pred: (m: SeenMessage) => boolean): Seen | undefined => first(w, (s) => s.dir === dir && pred(s.msg));
  switch (w.neg.protocol) {
    case 'AuthIP': {
      // protocols.md §4.4 flow #5/#6: E=1 0xF3 from both sides = Main Mode authenticated and the first Quick Mode done.
      // [MS-AIPS] §2.2.1 also carries Quick Mode as 0xF4 under the Main Mode SA, so encrypted 0xF4 both ways is as good.
      const protectedQm = (m: SeenMessage): boolean => m.encrypted && (m.exchange === AUTHIP_MAIN_MODE || m.exchange === AUTHIP_QUICK_MODE);
      const i = from('i→r', protectedQm);
      const r = from('r→i', protectedQm);
      if (!i || !r) return null;
      const kind = (s: Seen): string => s.msg.exchange === AUTHIP_MAIN_MODE ? 'Main Mode' : 'Quick Mode';
      return { state: 'complete', reason: `Main Mode and the first Quick Mode completed: an encrypted ${kind(i)} message from the initiator (frame ${i.frame}) and an encrypted ${kind(r)} message from the responder (frame ${r.frame}).`, frames: [i.frame, r.frame] };
    }
    case 'IKEv1': {
      // RFC 2409 §5.5: Quick Mode is protected by the phase 1 SA, so Quick Mode both ways means phase 1 finished too.
      const i = from('i→r', (m) => m.exchange === V1.QuickMode);
      const r = from('r→i', (m) => m.exchange === V1.QuickMode);
      if (!i || !r) return null;
      const phase1 = w.seen.filter((s) => s.msg.exchange === V1.MainMode || s.msg.exchange === V1.Aggressive);
      const p1 = phase1.length > 0
        ? `${phase1[0]!.msg.exchangeName} (${framesText([phase1[0]!.frame, phase1[phase1.length - 1]!.frame])})`
        : 'phase 1 (before the capture began)';
      const frames = phase1.length > 0 ? [phase1[phase1.length - 1]!.frame, i.frame, r.frame] : [i.frame, r.frame];
      return { state: 'complete', reason: `${p1} finished and Quick Mode ran both ways (frames ${i.frame}, ${r.frame}).`, frames };
    }
    case 'IKEv2': {
      // RFC 7296 §1.2: IKE_SA_INIT request and response, then IKE_AUTH both ways. A response that only asks for a
      // COOKIE or another DH group leaves the responder SPI zero (§2.6, §1.3), so the answer is one with an SPI.
      const req = from('i→r', (m) => m.exchange === V2.SaInit && !m.response);
      const resp = from('r→i', (m) => m.exchange === V2.SaInit && m.response && m.hasResponderSpi);
      const ai = from('i→r', (m) => m.exchange === V2.Auth);
      const ar = from('r→i', (m) => m.exchange === V2.Auth);
      if (!req || !resp || !ai || !ar) return null;
      return { state: 'complete', reason: `IKE_SA_INIT was answered (frames ${req.frame}, ${resp.frame}) and IKE_AUTH ran both ways (frames ${ai.frame}, ${ar.frame}).`, frames: [resp.frame, ai.frame, ar.frame] };
    }
  }
}

/** protocols.md §4.4 NOTIFY_STATUS table, §7 row 10: the first error notify readable in clear. */
function firstError(w: Work): IkeOutcome | null {
  const e = w.neg.notifyErrors[0];
  if (!e) return null;
  const code = e.windowsError ? ` carrying ${e.windowsError.name ?? 'Windows error'} (${e.windowsError.hex})` : '';
  return { state: 'notify-error', reason: `The ${side(e.direction)} sent ${e.name}${code} in frame ${e.frame}.${notes(w)}`, frames: [e.frame] };
}

/** protocols.md §7 row 9: only the initiator spoke. */
function noResponse(w: Work): IkeOutcome {
  const frames = w.seen.map((s) => s.frame);
  const kinds = [...new Set(w.seen.map((s) => s.msg.exchangeName))].join(', ');
  // [MS-AIPS] §3.3.5.2: an AuthIP-capable responder silently discards the IKEv1 offer sent in parallel.
  const mamie = w.neg.vendorIds.initiator.includes('MS-MamieExists')
    ? ' The initiator also speaks AuthIP (MS-MamieExists), and an AuthIP-capable responder ignores this IKEv1 offer.'
    : ' UDP 500 may be blocked, or the responder has no matching policy or does not speak this protocol.';
  return {
    state: 'no-response',
    reason: `Only the initiator spoke: ${frames.length} ${kinds} message(s) (${framesText(frames)}) and no answer.${mamie}${notes(w)}`,
    frames,
  };
}

/**
 * protocols.md §7 rows 10 and 11: Kerberos failed in clear (GSS Status ≠ 0 or a KRB-ERROR token), a Notify
 * exchange (0xF6) ended the negotiation, or Main Mode #1–#4 went through in clear and no encrypted Main Mode
 * message followed from both sides.
 */
function authipFailed(w: Work): IkeOutcome | null {
  const gss = w.neg.gss.find((g) => g.status.code !== 0 || g.tokenKind === 'KRB-ERROR');
  if (gss) {
    const krb = gss.kerberos?.errorCode !== null && gss.kerberos?.errorCode !== undefined
      ? `${gss.status.code !== 0 ? ' and' : ''} a KRB-ERROR ${gss.kerberos.errorName ?? gss.kerberos.errorCode}` : '';
    const status = gss.status.code !== 0 ? ` GSS status ${gss.status.name ?? 'error'} (${gss.status.hex})` : '';
    return {
      state: 'failed-after-authentication',
      reason: `Kerberos failed in clear: the ${side(gss.direction)} returned${status}${krb}${gss.tokenKind === 'KRB-ERROR' && !krb ? ' a KRB-ERROR token' : ''} in frame ${gss.frame}, and no encrypted Main Mode message followed from both sides.${notes(w)}`,
      frames: [gss.frame],
    };
  }
  const notify = first(w, (s) => s.msg.exchange === AUTHIP_NOTIFY && !(s.msg.notifyTypes.length > 0 && s.msg.notifyTypes.every((t) => DOS_COOKIES.includes(t))));
  if (notify) {
    return {
      state: 'failed-after-authentication',
      reason: `The ${side(notify.dir)} sent a${notify.msg.encrypted ? 'n encrypted' : ''} Notify exchange (frame ${notify.frame}) before encrypted Main Mode messages came from both sides: the negotiation was torn down.${notes(w)}`,
      frames: [notify.frame],
    };
  }
  const clear = (dir: IkeDirection): Seen[] => w.seen.filter((s) => s.dir === dir && s.msg.exchange === AUTHIP_MAIN_MODE && !s.msg.encrypted);
  // Reached only when no protected Quick Mode (encrypted 0xF3 or 0xF4) came from both sides (see completed).
  const ci = clear('i→r');
  const cr = clear('r→i');
  if (ci.length < 2 || cr.length < 2) return null;
  const frames = [ci[0]!.frame, cr[0]!.frame, ci[1]!.frame, cr[1]!.frame].sort((a, b) => a - b);
  return {
    state: 'failed-after-authentication',
    reason: `Main Mode #1–#4 went through in clear (${framesText(frames)}) but no encrypted Main Mode message followed from both sides: Quick Mode failed after authentication.${notes(w)}`,
    frames,
  };
}

/** IKEv1: phase 1 finished both ways, then an Informational exchange instead of Quick Mode (RFC 2408 §4.8). */
function ikev1Failed(w: Work): IkeOutcome | null {
  const authI = first(w, (s) => s.dir === 'i→r' && ((s.msg.exchange === V1.MainMode && s.msg.encrypted) || s.msg.exchange === V1.Aggressive));
  const authR = first(w, (s) => s.dir === 'r→i' && ((s.msg.exchange === V1.MainMode && s.msg.encrypted) || s.msg.exchange === V1.Aggressive));
  if (!authI || !authR) return null;
  const after = Math.max(authI.frame, authR.frame);
  const info = first(w, (s) => s.msg.exchange === V1.Informational && s.frame > after);
  if (!info) return null;
  return {
    state: 'failed-after-authentication',
    reason: `Phase 1 finished both ways (frames ${authI.frame}, ${authR.frame}), then the ${side(info.dir)} sent an Informational exchange (frame ${info.frame}) and Quick Mode never ran both ways.${notes(w)}`,
    frames: [authI.frame, authR.frame, info.frame],
  };
}

/** protocols.md §7 rows 12–14: GSS retries, DoS protection and fragmentation explain many stalls. */
function notes(w: Work): string {
  const out: string[] = [];
  const retry = w.neg.gss.find((g) => g.flagNames.includes('RETRY_CURRENT_AUTHENTICATION'));
  if (retry) out.push(` The ${side(retry.direction)} asked to retry authentication with other credentials (GSS flag RETRY_CURRENT_AUTHENTICATION, frame ${retry.frame}).`);
  const cookie = first(w, (s) => s.msg.notifyTypes.some((t) => DOS_COOKIES.includes(t)));
  if (cookie) out.push(` The responder was in DoS-protection mode (NOTIFY_DOS_COOKIE, frame ${cookie.frame}).`);
  const frags = w.seen.filter((s) => s.msg.fragmented).map((s) => s.frame);
  if (frags.length > 0) out.push(` Messages were fragmented (${framesText(frags)}); a lost fragment stalls the exchange.`);
  return out.join('');
}
