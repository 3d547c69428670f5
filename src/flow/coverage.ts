/** Coverage (issue 13 items 2–4; docs/cli.md "Bounds"): every bound the analysis keeps, its value, and what it left out of sight. */

import { Layer } from '../decode/layers.js';
import type { Flow } from './flow.js';

/** One bound and what it dropped. */
export interface BoundHit {
  /** Stable id: 'flows.max', 'flows.idle', 'flows.retained', 'sa.per_flow', 'ike.negotiations', 'ike.messages', 'esp.samples', 'iphttps.reassembly'. */
  id: string;
  limit: number;
  /** How many items the bound dropped (the unit is in `what`). */
  dropped: number;
  /** How many of the dropped could carry traffic between DirectAccess clients: tunnels, IPsec, IPv6 (link-local, inner flows), IKE. */
  clientCapable: number;
  /** The first frames affected (at most 5). */
  frames: number[];
  /** One plain sentence: the bound and the unit of `dropped`. */
  what: string;
}

/** A tunnel carrier, ESP/AH or link-local flow that the live-flow bound or the idle bound ended while the capture went on. */
export interface CarrierEnd {
  flow: number;
  how: 'expired' | 'evicted';
  /** The frame being read when it was ended, and its own last frame. */
  frame: number;
  lastFrame: number;
  /** The flow that took its packets up again afterwards (same addresses, ports, protocol and parent), or null. */
  resumedBy: number | null;
}

export interface Coverage {
  /** Every bound, dropped 0 included. */
  bounds: BoundHit[];
  /** IP-HTTPS tunnels whose handshake is not in the capture, recognised from their records (the frames that proved it). */
  midstreamTunnels: { flow: number; frames: number[] }[];
  /** Connections to a known IP-HTTPS server whose inside cannot be read, and why. */
  opaqueTunnels: { flow: number; frames: number[]; why: string }[];
  /** At most MAX_LISTED carrier ends, in order; `carriersEndedNotListed` counts the rest. */
  carriersEnded: CarrierEnd[];
  carriersEndedNotListed: number;
  /** Interfaces whose pcapng Interface Statistics Block reports packets dropped while capturing (isb_ifdrop, isb_osdrop). */
  interfaceDrops: { interface: number; dropped: number }[];
  /** Frames stamped earlier than the frame before them (the first 5 named): the file is not in time order. */
  timeBackwards: { count: number; frames: number[] };
}

/** Entries kept in each list of the coverage; the rest are counted. */
export const MAX_LISTED = 1000;
const FRAMES = 5;

/** Whether a flow could carry traffic between DirectAccess clients: IPv6 (native, link-local, inner), a tunnel, IPsec or IKE. */
export function clientCapable(flow: Flow): boolean {
  return flow.family === 6 || flow.parent >= 0 || isCarrier(flow) || flow.isakmpMessages > 0;
}

/** A tunnel's outer flow (IP-HTTPS, Teredo, protocol 41, IP-in-IP), an IPsec flow, or IPv6 link-local. */
export function isCarrier(flow: Flow): boolean {
  return flow.ipHttps !== null || flow.proto === 41 || flow.proto === 4 || flow.appLayer === Layer.Teredo
    || flow.sas !== null || flow.ahPackets > 0 || flow.sasNotTracked !== null || (flow.family === 6 && (isLinkLocal(flow.origAddr) || isLinkLocal(flow.respAddr)));
}

function isLinkLocal(a: Uint8Array): boolean {
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;
}

/** Counts what one bound dropped. */
export class BoundCounter {
  readonly id: string;
  readonly limit: number;
  readonly what: string;
  dropped = 0;
  clientCapable = 0;
  readonly frames: number[] = [];

  constructor(id: string, limit: number, what: string) {
    this.id = id;
    this.limit = limit;
    this.what = what;
  }

  add(n: number, capable: boolean, frame: number): void {
    if (n <= 0) return;
    this.dropped += n;
    if (capable) this.clientCapable += n;
    if (this.frames.length < FRAMES && frame > 0) this.frames.push(frame);
  }

  /** Adds frames another part kept (first ones first), up to the five. */
  addFrames(frames: readonly number[]): void {
    for (const f of frames) if (this.frames.length < FRAMES) this.frames.push(f);
  }

  hit(): BoundHit {
    return { id: this.id, limit: this.limit, dropped: this.dropped, clientCapable: this.clientCapable, frames: [...this.frames].sort((a, b) => a - b), what: this.what };
  }
}
