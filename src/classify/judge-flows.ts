/**
 * Classification after the pass (architecture §6 "Roles, once", "Rules are pure functions"): the DirectAccess
 * context, every endpoint's role, and per flow its kind, service, session state, carrier path and ESP judgements,
 * decided here once so that rules and reports only read them.
 */

import type { NameMap } from '../app/names.js';
import type { CaptureInterface } from '../capture/frame.js';
import type { RouterAdvertisement } from '../flow/app-dispatch.js';
import { tunnelKindOf, type Flow } from '../flow/flow.js';
import type { ClassifiedFlow, FlowKind, JudgedFlow } from './classified-flow.js';
import { inferContext, type DaContext, type SourcePrefix } from './context.js';
import { judgeEsp } from './esp-null.js';
import { classifyAddress, type DaPrefixes } from './prefixes.js';
import { decideRoles, type Roles } from './roles.js';
import { identifyService, sessionState, type ServiceOptions } from './sessions.js';

/** ICMPv6 neighbour discovery types (RFC 4861 §4): RS, RA, NS, NA, redirect, as Flow.icmpTypes bits. */
const ND_BITS = [133, 134, 135, 136, 137].reduce((m, t) => (m | (1 << (t - 115))) >>> 0, 0);
/** ICMPv6 error types (RFC 4443 §3), as Flow.icmpTypes bits: destination unreachable, packet too big, time exceeded, parameter problem. */
const ICMPV6_ERROR_BITS = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);
const IKE_PORTS = [500, 4500];
/** Link-local name resolution (LLMNR, mDNS) and DHCPv6: infrastructure, not a session between clients. */
const NAME_RESOLUTION_PORTS = [5355, 5353, 546, 547];
/** IPv6 "no next header" (RFC 8200 §4.7): a Teredo bubble is a header with nothing after it (RFC 4380 §2.8). */
const NO_NEXT_HEADER = 59;

function hasEsp(flow: Flow): boolean {
  return flow.sas?.some((s) => s.protocol === 'esp') ?? false;
}

/** What the flow is to the verdicts, first match wins. */
export function flowKind(flow: Flow): FlowKind {
  if (flow.proto === 41 || flow.proto === 4) return 'carrier';
  if (flow.proto === 50 || hasEsp(flow)) return 'esp';
  if (flow.proto === 17 && (flow.isakmpMessages > 0 || IKE_PORTS.includes(flow.origPort) || IKE_PORTS.includes(flow.respPort))) return 'ike';
  if (flow.proto === NO_NEXT_HEADER && flow.origPayload + flow.respPayload === 0) return 'bubbles';
  if (flow.proto === 58 && flow.icmpTypes !== 0 && (flow.icmpTypes & ~ND_BITS) === 0) return 'neighbour-discovery';
  if (flow.proto === 58 && flow.icmpTypes !== 0 && (flow.icmpTypes & ~ICMPV6_ERROR_BITS) === 0) return 'icmp-errors';
  if (flow.proto === 17 && (NAME_RESOLUTION_PORTS.includes(flow.origPort) || NAME_RESOLUTION_PORTS.includes(flow.respPort))) return 'name-resolution';
  return 'traffic';
}

/** Carriers of a flow, outermost first, e.g. ["ipv4", "udp/3544 teredo"]. */
function carrierPath(flow: Flow, byId: (id: number) => ClassifiedFlow | undefined, prefixes: DaPrefixes): string[] {
  const out: string[] = [];
  let parent = flow.parent >= 0 ? byId(flow.parent) : undefined;
  let child: Flow = flow;
  while (parent) {
    const p = parent.flow;
    const via = child.carriedBy === 'teredo' ? `udp/${p.respPort === 3544 || p.origPort === 3544 ? 3544 : p.respPort} teredo`
      : child.carriedBy === 'proto41' ? `protocol 41 ${tunnelKindOf(p) || '6in4'}` : child.carriedBy === 'ip-https'
        ? `tcp/${p.respPort} tls(${p.tls?.facts.serverHello?.cipherSuiteName ?? 'handshake not in the capture'}) ip-https` : child.carriedBy;
    out.unshift(p.family === 4 ? 'ipv4' : `ipv6 ${classifyAddress(p.origAddr, 0, prefixes)}`, via);
    child = p;
    parent = p.parent >= 0 ? byId(p.parent) : undefined;
  }
  return out;
}

export interface CaptureFacts {
  flows: readonly ClassifiedFlow[];
  byId: (id: number) => ClassifiedFlow | undefined;
  names: NameMap;
  advertisedPrefixes: readonly RouterAdvertisement[];
  /** The /64s clients sent from inside IP-HTTPS tunnels joined mid-stream. */
  sourcePrefixes: readonly SourcePrefix[];
  interfaces: readonly CaptureInterface[];
  /** The prefixes the user gave. */
  given: DaPrefixes;
  service: ServiceOptions;
  /** The capture's snaplen (0 when unknown), named when it cut ESP packets. */
  snaplen: number;
}

export interface Classification {
  context: DaContext;
  roles: Roles;
  flows: JudgedFlow[];
}

/** The context (prefixes, assumptions) only: the transition labels of IPv6 flows depend on the prefixes it yields. */
export function captureContext(c: Omit<CaptureFacts, 'service' | 'snaplen'>): DaContext {
  return inferContext(c.flows, c.names, c.advertisedPrefixes, c.sourcePrefixes, c.byId, c.interfaces, c.given);
}

/** The ESP judgements of a flow without ESP: one empty list for all of them (most flows). */
const NO_ESP: JudgedFlow['esp'] = Object.freeze([]) as unknown as JudgedFlow['esp'];

/** What the facts decided on first use need, shared by every flow of a capture. */
interface LazyFacts {
  service: ServiceOptions;
  byId: CaptureFacts['byId'];
  prefixes: DaPrefixes;
}

/**
 * A judged flow. Its service, session state and carrier path are decided once, when first read: the rules read them
 * for flows between clients only, and deciding them for each of hundreds of thousands of other flows (sentences and
 * all) held twice the memory of the flows themselves.
 */
class Judged implements JudgedFlow {
  readonly flow: Flow;
  readonly label: ClassifiedFlow['label'];
  readonly cls: ClassifiedFlow['cls'];
  readonly kind: FlowKind;
  readonly orig: JudgedFlow['orig'];
  readonly resp: JudgedFlow['resp'];
  readonly esp: JudgedFlow['esp'];
  private readonly facts: LazyFacts;
  private decidedService: JudgedFlow['service'] | null = null;
  private decidedState: JudgedFlow['state'] | undefined = undefined;
  private decidedCarriers: string[] | null = null;

  constructor(r: ClassifiedFlow, roles: Roles, facts: LazyFacts, snaplen: number) {
    const f = r.flow;
    this.flow = f;
    this.label = r.label;
    this.cls = r.cls;
    this.kind = flowKind(f);
    this.orig = roles.endpoint(f.origAddr);
    this.resp = roles.endpoint(f.respAddr);
    this.esp = f.sas?.filter((s) => s.protocol === 'esp').map((sa) => ({ sa, judgement: judgeEsp(sa, snaplen) })) ?? NO_ESP;
    this.facts = facts;
  }

  get service(): JudgedFlow['service'] {
    return this.decidedService ??= identifyService(this.flow, this.facts.service);
  }

  get state(): JudgedFlow['state'] {
    if (this.decidedState === undefined) this.decidedState = this.flow.proto === 6 || this.flow.proto === 17 ? sessionState(this.flow) : null;
    return this.decidedState;
  }

  get carriers(): string[] {
    return this.decidedCarriers ??= carrierPath(this.flow, this.facts.byId, this.facts.prefixes);
  }
}

/** Judges every retained flow once, under the context's prefixes (labels already made with them). */
export function judgeFlows(c: CaptureFacts, context: DaContext): Classification {
  const prefixes = context.prefixes;
  const roles = decideRoles(c.flows, c.byId, prefixes, c.advertisedPrefixes);
  const facts: LazyFacts = { service: c.service, byId: c.byId, prefixes };
  const flows = c.flows.map((r): JudgedFlow => new Judged(r, roles, facts, c.snaplen));
  return { context, roles, flows };
}
