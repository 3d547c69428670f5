/** Classic pcap reader (draft-gharris-opsawg-pcap §4–§5; Wireshark wiretap/libpcap.c quirks). */

import { A } from '../anomalies/registry.js';
import { hex32, u16x, u32be, u32x } from '../util/bytes.js';
import { CaptureErrorCode } from '../util/errors.js';
import { Direction, RecordKind } from './frame.js';
import { MAX_RECORD_CAPLEN, type ReaderState, type RecordParser } from './state.js';
import { MICROSECONDS, NANOSECONDS } from './timestamp.js';

export const PCAP_HEADER_LEN = 24;

/** File magics as read big-endian from the first four bytes. */
export const PcapMagic = {
  MicroBE: 0xa1b2c3d4,
  MicroLE: 0xd4c3b2a1,
  NanoBE: 0xa1b23c4d,
  NanoLE: 0x4d3cb2a1,
  /** Alexey Kuznetzov's patched libpcap: 8 more bytes per record header (ifindex, protocol, pkt_type). */
  ModifiedBE: 0xa1b2cd34,
  ModifiedLE: 0x34cdb2a1,
} as const;

export function isPcapMagic(m: number): boolean {
  return Object.values(PcapMagic).includes(m as never);
}

/** Facts from the pcap file header. */
export interface PcapHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  modified: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  /** FCS length in bytes from the link-type word, -1 when the file does not say. */
  fcsLen: number;
}

export class PcapParser implements RecordParser {
  need = PCAP_HEADER_LEN;
  header: PcapHeader | null = null;
  private le = true;
  private nano = false;
  private recordHeaderLen = 16;
  private snaplen = 0;
  private linkType = 0;
  private fcsLen = 0;

  private readonly st: ReaderState;

  constructor(st: ReaderState) {
    this.st = st;
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number): number {
    if (this.header === null) {
      if (end - pos < PCAP_HEADER_LEN) return pos;
      this.readHeader(buf, pos, base);
      pos += PCAP_HEADER_LEN;
    }
    const st = this.st;
    const f = st.frame;
    const le = this.le;
    const hl = this.recordHeaderLen;
    // Why a DataView for the record header, one per chunk (parse runs once per chunk read), never per packet:
    // when the sink's code is inlined into this loop, it uses up V8's inlining budget for the function and the
    // four u32x calls below stay real calls (with u32le/u32be behind each). Measured on `npm run bench` decode,
    // that cost 14 % of the run, and whether it happened changed from run to run. TurboFan lowers DataView
    // reads in place, with no budget to spend.
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    // One store of `need` for both ways out of the loop. Why: the way out when fewer than a record header's bytes
    // are left is rare (a chunk ending within 16 bytes of a record boundary); its own store never had type feedback
    // when TurboFan compiled this function, and deoptimised it at about one chunk in 25, every time.
    let need = hl;
    while (end - pos >= hl) {
      const incl = dv.getUint32(pos + 8, le);
      if (incl > MAX_RECORD_CAPLEN) {
        st.recordOffset = base + pos;
        throw st.error(CaptureErrorCode.RecordTooLong,
          `pcap record claims ${incl} captured bytes, more than the ${MAX_RECORD_CAPLEN}-byte limit; the file is damaged after this point`);
      }
      const total = hl + incl;
      if (end - pos < total) {
        need = total;
        break;
      }
      const orig = dv.getUint32(pos + 12, le);
      const sec = dv.getUint32(pos, le);
      const frac = dv.getUint32(pos + 4, le);
      f.number = st.nextFrame;
      if (incl > this.snaplen && this.snaplen !== 0) st.anomalies.record(A.CaptureRecordExceedsSnaplen, f.number);
      if (incl > orig) st.anomalies.record(A.CaptureCaplenExceedsWirelen, f.number);
      const unit = this.nano ? 1_000_000_000 : 1_000_000;
      if (frac >= unit) {
        st.anomalies.record(A.CaptureTimestampFractionOutOfRange, f.number);
        f.tsSec = sec + Math.floor(frac / unit);
        f.tsNsec = this.nano ? frac % unit : (frac % unit) * 1000;
      } else {
        f.tsSec = sec;
        f.tsNsec = this.nano ? frac : frac * 1000;
      }
      f.kind = RecordKind.Packet;
      f.fileOffset = base + pos;
      f.hasTs = true;
      f.capLen = incl;
      f.wireLen = orig;
      f.dataStart = pos + hl;
      f.interfaceId = 0;
      f.linkType = this.linkType;
      f.fcsLen = this.fcsLen;
      f.direction = Direction.Unknown;
      f.optionsStart = f.optionsEnd = 0;
      st.emit(buf);
      pos += total;
    }
    this.need = need;
    return pos;
  }

  finish(_buf: Uint8Array, pos: number, end: number, base: number): void {
    const st = this.st;
    if (this.header === null) {
      st.recordOffset = base + pos;
      throw st.error(CaptureErrorCode.BadHeader, `file ends after ${end - pos} of the ${PCAP_HEADER_LEN} bytes of the pcap file header`);
    }
    st.warn(A.CaptureFileTruncated, base + pos, `file ends inside a pcap record: ${end - pos} of ${this.need} bytes present`);
  }

  private readHeader(buf: Uint8Array, pos: number, base: number): void {
    const st = this.st;
    st.recordOffset = base + pos;
    const magic = u32be(buf, pos);
    const le = magic === PcapMagic.MicroLE || magic === PcapMagic.NanoLE || magic === PcapMagic.ModifiedLE;
    const nano = magic === PcapMagic.NanoBE || magic === PcapMagic.NanoLE;
    const modified = magic === PcapMagic.ModifiedBE || magic === PcapMagic.ModifiedLE;
    const versionMajor = u16x(buf, pos + 4, le);
    const versionMinor = u16x(buf, pos + 6, le);
    // Wireshark reads every 2.x file (2.2 and 2.4 alike; 2.5 occurs in the wild) and rejects major < 2.
    if (versionMajor !== 2) {
      throw st.error(CaptureErrorCode.UnsupportedVersion, `pcap version ${versionMajor}.${versionMinor} is not supported (only 2.x)`);
    }
    const snaplen = u32x(buf, pos + 16, le);
    const word = u32x(buf, pos + 20, le);
    // LT_RESERVED1 must be zero; Wireshark and libpcap reject the file otherwise.
    if ((word & 0x03ff0000) !== 0) {
      throw st.error(CaptureErrorCode.BadHeader, `pcap link-type field has reserved bits set (${hex32(word)})`);
    }
    const linkType = word & 0xffff;
    // LT_FCS_LENGTH_PRESENT (0x04000000): the top 4 bits give the FCS length in 16-bit units.
    const fcsLen = (word & 0x04000000) !== 0 ? ((word >>> 28) & 0xf) * 2 : -1;
    this.le = le;
    this.nano = nano;
    this.recordHeaderLen = modified ? 24 : 16;
    this.snaplen = snaplen;
    this.linkType = linkType;
    this.fcsLen = fcsLen;
    this.header = { littleEndian: le, nanosecond: nano, modified, versionMajor, versionMinor, snaplen, linkType, fcsLen };
    st.sections.push({
      offset: base + pos, littleEndian: le, versionMajor, versionMinor, sectionLength: -1,
      hardware: null, os: null, application: null, comments: [],
    });
    st.interfaces.push({
      id: 0, section: 0, localId: 0, linkType, snaplen, tsResolution: nano ? NANOSECONDS : MICROSECONDS, tsOffset: 0,
      fcsLen, name: null, description: null, os: null, filter: null, hardware: null, speed: null, comments: [], packets: 0,
    });
  }
}
