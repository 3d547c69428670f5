/** Frame: the reused per-record metadata handed to consumers, one instance per reader (architecture §3). */

import type { TsResolution } from './timestamp.js';

/**
 * What a frame is. Wireshark numbers every record it returns, not only packets: pcapng custom
 * blocks and systemd journal export blocks (written by etl2pcapng for non-packet ETW events) take
 * a frame number too. They count in {@link Frame.number} but are not packets.
 */
export const RecordKind = {
  Packet: 0,
  CustomBlock: 1,
  JournalExport: 2,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** Packet direction from pcapng epb_flags bits 0–1. */
export const Direction = { Unknown: 0, Inbound: 1, Outbound: 2 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/**
 * One record of the capture. The reader reuses a single instance, and `data` offsets point into
 * the reader's chunk buffer: both are valid only until the consumer's callback returns. Copy
 * anything you keep past this frame.
 */
export class Frame {
  /** 1-based, equal to Wireshark's frame.number. */
  number = 0;
  kind: RecordKind = RecordKind.Packet;
  /** Byte offset of the record (pcap record header or pcapng block) in the capture stream. */
  fileOffset = 0;
  /** False for pcapng Simple Packet Blocks and blocks without a time. */
  hasTs = false;
  tsSec = 0;
  tsNsec = 0;
  capLen = 0;
  wireLen = 0;
  /** Offset of the first data byte in the chunk buffer. */
  dataStart = 0;
  /** Index into the reader's interface list (across all pcapng sections). */
  interfaceId = 0;
  /** LINKTYPE_* value of the interface; -1 for non-packet records. */
  linkType = -1;
  /** Bytes of frame check sequence at the end of the data: 0 none, -1 unknown. */
  fcsLen = 0;
  direction: Direction = Direction.Unknown;
  /** Raw epb_flags word, -1 when absent. */
  epbFlags = -1;
  /** epb_packetid as two 32-bit halves; both -1 when absent. */
  packetIdHigh = -1;
  packetIdLow = -1;
  /** Number of opt_comment options on this record. */
  commentCount = 0;
  /** Options area of a pcapng record in the chunk buffer (start === end when none). */
  optionsStart = 0;
  optionsEnd = 0;
  /** Byte order of the options area. */
  littleEndian = true;
}

/** One capture interface: the single pcap "interface", or a pcapng IDB. */
export interface CaptureInterface {
  /** Index over the whole file, as Wireshark's frame.interface_id. */
  id: number;
  /** pcapng section (0-based) and the IDB's index inside it. */
  section: number;
  localId: number;
  linkType: number;
  /** 0 means unlimited (pcapng). */
  snaplen: number;
  tsResolution: TsResolution;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffset: number;
  /** FCS length in bytes: from the pcap link-type word or if_fcslen; -1 unknown. */
  fcsLen: number;
  name: string | null;
  description: string | null;
  os: string | null;
  filter: string | null;
  hardware: string | null;
  speed: number | null;
  comments: string[];
  /** Packets seen on this interface. */
  packets: number;
}

/** One pcapng section header (or the pcap file header, as a section of its own). */
export interface CaptureSection {
  offset: number;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  /** SHB section length; -1 when unknown (the usual value). */
  sectionLength: number;
  hardware: string | null;
  os: string | null;
  application: string | null;
  comments: string[];
}
