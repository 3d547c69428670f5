/** Pairs ISAKMP messages into IKEv1 / IKEv2 / AuthIP negotiations and judges how each ended ([MS-AIPS] §3, §4.1; RFC 2409 §5; RFC 7296 §1.2). */

import type { GssMechanism, IkeProtocol, IsakmpMessage, KerberosFacts, WindowsError } from './isakmp.js';

/** Where and when one message was seen; addresses and ports are taken as given. */
export interface IkeMessageContext {
  frame: number;
  flowId: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  sec: number;
  nsec: number;
}

export type IkeDirection = 'i→r' | 'r→i';

export interface IkeEndpoint {
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
const MAX_MESSAGES_KEPT = 64;

const ZERO_SPI = '0000000000000000';
/** [MS-AIPS] §2.2.1 exchange types. */
const AUTHIP_MAIN_MODE = 0xf3;
const AUTHIP_NOTIFY = 0xf6;
/** RFC 2409 §5 / RFC 2408 §4.8 exchange types. */
const V1 = { MainMode: 2, Aggressive: 4, Informational: 5, QuickMode: 32 } as const;
/** RFC 7296 §1.2. */
const V2 = { SaInit: 34, Auth: 35 } as const;
/** [MS-AIPS] §2.2.3.5 NOTIFY_DOS_COOKIE, and [MS-IKEE] §2.2.6 NOTIFY_DOS_COOKIE. */
const DOS_COOKIES = [0x9c55, 0x9c44];

interface Seen {
  msg: IsakmpMessage;
  dir: IkeDirection;
  frame: number;
}

/** One negotiation being built: the public record (outcome filled in by finish) plus the messages behind it. */
interface Work {
  neg: Omit<IkeNegotiation, 'outcome'>;
  seen: Seen[];
}

/**
 * Groups messages by protocol, initiator SPI and the (unordered) address pair, then by responder SPI once
 * known: a message whose responder SPI is zero belongs to the latest negotiation of its initiator SPI
 * ([MS-AIPS] §2.2.1: the cookie pair, plus addresses and ports, names a negotiation; RFC 7296 §2.6).
 * The address pair keeps two hosts that picked the same initiator SPI apart; ports are left out because
 * NAT traversal moves a negotiation from UDP 500 to 4500 mid-way (RFC 3947 §4).
 */
export class IkeNegotiationTracker {
  private readonly byKey = new Map<string, Work[]>();
  private readonly all: Work[] = [];

  add(msg: IsakmpMessage, ctx: IkeMessageContext): void {
    const pair = ctx.src < ctx.dst ? `${ctx.src}|${ctx.dst}` : `${ctx.dst}|${ctx.src}`;
    const key = `${msg.protocol}|${msg.initiatorSpi}|${pair}`;
    let list = this.byKey.get(key);
    if (!list) {
      list = [];
      this.byKey.set(key, list);
    }
    let w: Work | undefined;
    if (msg.responderSpi === ZERO_SPI) w = list[list.length - 1];
    else {
      w = list.find((x) => x.neg.responderSpi === msg.responderSpi) ?? latestWithoutResponder(list);
      if (w) w.neg.responderSpi = msg.responderSpi;
    }
    if (!w) {
      w = { neg: start(msg, ctx), seen: [] };
      list.push(w);
      this.all.push(w);
    }
    record(w, msg, ctx);
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

function latestWithoutResponder(list: Work[]): Work | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.neg.responderSpi === ZERO_SPI) return list[i];
  return undefined;
}

/** The initiator is the sender of the first message seen, unless an IKEv2 message says otherwise by its I flag. */
function start(msg: IsakmpMessage, ctx: IkeMessageContext): Omit<IkeNegotiation, 'outcome'> {
  const src = { address: ctx.src, port: ctx.srcPort };
  const dst = { address: ctx.dst, port: ctx.dstPort };
  const fromResponder = msg.protocol === 'IKEv2' && !msg.flags.names.includes('I');
  return {
    protocol: msg.protocol,
    initiator: fromResponder ? dst : src,
    responder: fromResponder ? src : dst,
    initiatorSpi: msg.initiatorSpi,
    responderSpi: msg.responderSpi,
    flowIds: [],
    messages: [],
    authMethods: [],
    gss: [],
    vendorIds: { initiator: [], responder: [] },
    notifyErrors: [],
    firstFrame: ctx.frame,
    lastFrame: ctx.frame,
    messagesNotKept: 0,
  };
}

/**
 * IKEv2 marks the original initiator's messages with the I flag (RFC 7296 §3.1). IKEv1 and AuthIP keep their
 * roles for the whole negotiation ([MS-AIPS] §1.3), so the sender's address decides (its port when both
 * peers share an address).
 */
function direction(neg: Omit<IkeNegotiation, 'outcome'>, msg: IsakmpMessage, ctx: IkeMessageContext): IkeDirection {
  if (msg.protocol === 'IKEv2') return msg.flags.names.includes('I') ? 'i→r' : 'r→i';
  const { initiator, responder } = neg;
  const fromInitiator = initiator.address !== responder.address ? ctx.src === initiator.address : ctx.srcPort === initiator.port;
  return fromInitiator ? 'i→r' : 'r→i';
}

function record(w: Work, msg: IsakmpMessage, ctx: IkeMessageContext): void {
  const neg = w.neg;
  neg.firstFrame = Math.min(neg.firstFrame, ctx.frame);
  neg.lastFrame = Math.max(neg.lastFrame, ctx.frame);
  if (w.seen.length >= MAX_MESSAGES_KEPT) {
    neg.messagesNotKept++;
    return;
  }
  const dir = direction(neg, msg, ctx);
  w.seen.push({ msg, dir, frame: ctx.frame });
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
  const from = (dir: IkeDirection, pred: (m: IsakmpMessage) => boolean): Seen | undefined => first(w, (s) => s.dir === dir && pred(s.msg));
  switch (w.neg.protocol) {
    case 'AuthIP': {
      // protocols.md §4.4 flow #5/#6: E=1 0xF3 from both sides = Main Mode authenticated and the first Quick Mode done.
      const i = from('i→r', (m) => m.exchange === AUTHIP_MAIN_MODE && m.encrypted);
      const r = from('r→i', (m) => m.exchange === AUTHIP_MAIN_MODE && m.encrypted);
      if (!i || !r) return null;
      return { state: 'complete', reason: `Main Mode and the first Quick Mode completed: encrypted Main Mode messages from the initiator (frame ${i.frame}) and the responder (frame ${r.frame}).`, frames: [i.frame, r.frame] };
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
      const req = from('i→r', (m) => m.exchange === V2.SaInit && !m.flags.names.includes('R'));
      const resp = from('r→i', (m) => m.exchange === V2.SaInit && m.flags.names.includes('R') && m.responderSpi !== ZERO_SPI);
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
  const notify = first(w, (s) => s.msg.exchange === AUTHIP_NOTIFY && !(s.msg.notifies.length > 0 && s.msg.notifies.every((n) => DOS_COOKIES.includes(n.type))));
  if (notify) {
    return {
      state: 'failed-after-authentication',
      reason: `The ${side(notify.dir)} sent a${notify.msg.encrypted ? 'n encrypted' : ''} Notify exchange (frame ${notify.frame}) before encrypted Main Mode messages came from both sides: the negotiation was torn down.${notes(w)}`,
      frames: [notify.frame],
    };
  }
  const clear = (dir: IkeDirection): Seen[] => w.seen.filter((s) => s.dir === dir && s.msg.exchange === AUTHIP_MAIN_MODE && !s.msg.encrypted);
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
  const cookie = first(w, (s) => s.msg.notifies.some((n) => DOS_COOKIES.includes(n.type)));
  if (cookie) out.push(` The responder was in DoS-protection mode (NOTIFY_DOS_COOKIE, frame ${cookie.frame}).`);
  const frags = w.seen.filter((s) => s.msg.fragments.length > 0).map((s) => s.frame);
  if (frags.length > 0) out.push(` Messages were fragmented (${framesText(frags)}); a lost fragment stalls the exchange.`);
  return out.join('');
}
