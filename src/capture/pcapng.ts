/** pcapng reader (draft-ietf-opsawg-pcapng §3–§4): sections in either byte order, per-interface link type and clock. */

import { A } from '../anomalies/registry.js';
import { hex32, i64x, u16x, u32x, u64x } from '../util/bytes.js';
import { CaptureErrorCode } from '../util/errors.js';
import { Direction, RecordKind, type CaptureInterface } from './frame.js';
import { MAX_RECORD_CAPLEN, type ReaderState, type RecordParser } from './state.js';
import { MICROSECONDS, splitTicks, type SecNsec, type TsResolution } from './timestamp.js';

export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  JournalExport: 0x00000009,
  DSB: 0x0000000a,
  CustomCopy: 0x00000bad,
  CustomNoCopy: 0x40000bad,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MIN_BLOCK = 12;
/** Largest block accepted (Wireshark's former MAX_BLOCK_SIZE): no allocation follows a larger length. */
export const MAX_BLOCK_LEN = 16 * 1024 * 1024;
/** Cap on name-resolution entries kept from NRBs, so a hostile file cannot grow memory. */
const MAX_NAME_ENTRIES = 65536;
/**
 * Caps on what header blocks make the reader keep. Why: each costs a few dozen bytes in the file and hundreds in
 * memory and in every report, so a 40 MB file of 20-byte IDBs took 2.2 GB and made a JSON report too long for
 * a string. Real captures have a few interfaces per section and few sections; beyond the caps reading stops.
 */
export const MAX_INTERFACES = 10_000;
export const MAX_SECTIONS = 10_000;
/** Comments kept per block, and characters of text kept from header blocks (comments, names, NRB names) per file. */
const MAX_COMMENTS = 64;
const TEXT_BUDGET = 16 * 1024 * 1024;
/** Decryption secrets types kept (the count is in the block counts). */
const MAX_SECRETS_TYPES = 64;

const OPT_END = 0;
const OPT_COMMENT = 1;

/** A name from a Name Resolution Block: address bytes (4 or 16) → names. */
export interface NameEntry {
  address: Uint8Array;
  names: string[];
}

/** Interface statistics from an ISB (the last one seen per interface wins). */
export interface InterfaceStatistics {
  received: number | null;
  dropped: number | null;
  osDropped: number | null;
  filterAccepted: number | null;
  delivered: number | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export class PcapngParser implements RecordParser {
  need = MIN_BLOCK;
  /** Name resolution entries from NRBs (bounded by MAX_NAME_ENTRIES). */
  readonly names: NameEntry[] = [];
  /** ISB statistics per global interface id. */
  readonly interfaceStats = new Map<number, InterfaceStatistics>();
  /** Decryption secrets blocks by secrets type (e.g. 0x544c534b TLS key log). */
  readonly secretsTypes: number[] = [];
  private le = true;
  private inSection = false;
  /** Characters of header-block text still allowed (TEXT_BUDGET). */
  private textLeft = TEXT_BUDGET;
  /** Global id of this section's interface 0, and the count of IDBs in this section. */
  private sectionBase = 0;
  private sectionCount = 0;
  // Per global interface: the values the hot loop needs, in plain arrays.
  private readonly ifRes: TsResolution[] = [];
  private readonly ifOffset: number[] = [];
  private readonly ifLink: number[] = [];
  private readonly ifSnap: number[] = [];
  private readonly ifFcs: number[] = [];
  /** Per interface: ticks per second and ns per tick for decimal resolutions up to 10^-9, else 0. */
  private readonly ifDiv: number[] = [];
  private readonly ifMul: number[] = [];
  private readonly ts: SecNsec = { sec: 0, nsec: 0 };
  /**
   * The chunk being parsed, for the header reads of the packet path (block type and lengths, EPB/PB/SPB
   * fields, packet options). Why a DataView, made once per chunk (parse runs once per chunk read), never
   * per packet: TurboFan lowers its reads in place, while u32x/u16x are calls that V8 inlines only while
   * the function's inlining budget lasts, and the sink inlined below emit() can use it all up (see pcap.ts).
   */
  private dv: DataView = new DataView(new ArrayBuffer(0));

  private readonly st: ReaderState;

  constructor(st: ReaderState) {
    this.st = st;
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number): number {
    const st = this.st;
    const dv = (this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength));
    for (;;) {
      if (end - pos < MIN_BLOCK) {
        this.need = MIN_BLOCK;
        return pos;
      }
      st.recordOffset = base + pos;
      let type = dv.getUint32(pos, this.le);
      if (type === BlockType.SHB) {
        // The SHB's own byte-order magic decides how to read its length (and the whole section).
        const bom = dv.getUint32(pos + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (dv.getUint32(pos + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
        else throw st.error(CaptureErrorCode.BadBlock, `section header block has an unknown byte-order magic ${hex32(bom)}`);
        type = BlockType.SHB;
      } else if (!this.inSection) {
        throw st.error(CaptureErrorCode.BadBlock, 'pcapng file does not start with a section header block');
      }
      const len = dv.getUint32(pos + 4, this.le);
      if (len < MIN_BLOCK) throw st.error(CaptureErrorCode.BadBlock, `block length ${len} is less than the 12-byte minimum`);
      if (len > MAX_BLOCK_LEN) throw st.error(CaptureErrorCode.BadBlock, `block length ${len} exceeds the ${MAX_BLOCK_LEN}-byte limit`);
      // Old ntar-based writers stored lengths not rounded up to 4 although the block itself is padded: like
      // Wireshark, the block takes the rounded-up size and its trailer may hold either value.
      const size = pad4(len);
      if (end - pos < size) {
        this.need = size;
        return pos;
      }
      const trailer = dv.getUint32(pos + size - 4, this.le);
      if (trailer !== len && trailer !== size) throw st.error(CaptureErrorCode.BadBlock, `block length ${len} differs from its trailing copy ${trailer}`);
      if (size !== len) st.anomalies.record(A.CaptureBlockLengthUnpadded, st.nextFrame);
      const bodyEnd = pos + size - 4;
      switch (type) {
        case BlockType.EPB: this.enhancedPacket(buf, pos, bodyEnd, base); break;
        case BlockType.SPB: this.simplePacket(buf, pos, bodyEnd, base); break;
        case BlockType.PB: this.obsoletePacket(buf, pos, bodyEnd, base); break;
        case BlockType.SHB: this.sectionHeader(buf, pos, bodyEnd, base); break;
        case BlockType.IDB: this.interfaceDescription(buf, pos, bodyEnd); break;
        case BlockType.NRB: this.nameResolution(buf, pos, bodyEnd); break;
        case BlockType.ISB: this.interfaceStatistics(buf, pos, bodyEnd); break;
        case BlockType.DSB: this.decryptionSecrets(buf, pos, bodyEnd); break;
        case BlockType.CustomCopy:
        case BlockType.CustomNoCopy: this.customBlock(buf, pos, bodyEnd, base); break;
        case BlockType.JournalExport: this.journalExport(buf, pos, bodyEnd, base); break;
        default:
          st.countBlock('unknown');
          st.anomalies.record(A.CaptureUnknownBlockSkipped, st.nextFrame);
      }
      pos += size;
    }
  }

  finish(_buf: Uint8Array, pos: number, end: number, base: number): void {
    this.st.warn(A.CaptureFileTruncated, base + pos,
      `file ends inside a pcapng block: ${end - pos} of ${this.need} bytes present`);
  }

  /** EPB: interface id, 64-bit timestamp, captured and original length, data, options (§4.3). */
  private enhancedPacket(buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const st = this.st;
    const le = this.le;
    if (bodyEnd - pos < 28) throw st.error(CaptureErrorCode.BadBlock, 'enhanced packet block is shorter than its 32-byte minimum');
    st.countBlock('EPB');
    const dv = this.dv;
    const local = dv.getUint32(pos + 8, le);
    const capLen = dv.getUint32(pos + 20, le);
    this.checkCapLen(capLen, bodyEnd - pos - 28, 'enhanced packet');
    const id = this.interfaceOf(local);
    this.stamp(pos + 12, id, le);
    this.packet(buf, pos, base, id, capLen, dv.getUint32(pos + 24, le), pos + 28, pos + 28 + pad4(capLen), bodyEnd);
  }

  /**
   * Sets the frame's time from the 64-bit stamp at chunk offset `at` (if_tsresol ticks + if_tsoffset).
   * Why here and not in splitTicks: the two u32 reads must stay in the same inlined code as the
   * arithmetic, because a u32 ≥ 2^31 passed to a call V8 does not inline is boxed as a heap number
   * (one allocation per packet). Tick counts below 2^53 (every µs stamp) are exact as doubles, so one
   * division with a one-step correction replaces the limb arithmetic.
   */
  private stamp(at: number, id: number, le: boolean): void {
    const f = this.st.frame;
    const dv = this.dv;
    const tsHigh = dv.getUint32(at, le);
    const d = this.ifDiv[id]!;
    if (d !== 0 && tsHigh < 0x200000) {
      const ticks = tsHigh * 4294967296 + dv.getUint32(at + 4, le);
      let q = Math.floor(ticks / d);
      let r = ticks - q * d;
      if (r < 0) { q--; r += d; } else if (r >= d) { q++; r -= d; }
      f.tsSec = q + this.ifOffset[id]!;
      f.tsNsec = r * this.ifMul[id]!;
    } else {
      splitTicks(tsHigh, dv.getUint32(at + 4, le), this.ifRes[id]!, this.ts);
      f.tsSec = this.ts.sec + this.ifOffset[id]!;
      f.tsNsec = this.ts.nsec;
    }
  }

  /** Obsolete PB: 16-bit interface id and drops count, otherwise like the EPB (Appendix A). */
  private obsoletePacket(buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const st = this.st;
    const le = this.le;
    if (bodyEnd - pos < 28) throw st.error(CaptureErrorCode.BadBlock, 'packet block is shorter than its 32-byte minimum');
    st.countBlock('PB');
    const dv = this.dv;
    const local = dv.getUint16(pos + 8, le);
    const capLen = dv.getUint32(pos + 20, le);
    this.checkCapLen(capLen, bodyEnd - pos - 28, 'packet');
    const id = this.interfaceOf(local);
    this.stamp(pos + 12, id, le);
    this.packet(buf, pos, base, id, capLen, dv.getUint32(pos + 24, le), pos + 28, pos + 28 + pad4(capLen), bodyEnd);
  }

  /** SPB: original length and data only; interface 0, no timestamp; caplen = min(len, snaplen) (§4.4). */
  private simplePacket(buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const st = this.st;
    if (bodyEnd - pos < 12) throw st.error(CaptureErrorCode.BadBlock, 'simple packet block is shorter than its 16-byte minimum');
    st.countBlock('SPB');
    if (this.sectionCount === 0) throw st.error(CaptureErrorCode.BadInterface, 'simple packet block before any interface description block');
    const id = this.sectionBase;
    const wireLen = this.dv.getUint32(pos + 8, this.le);
    const snap = this.ifSnap[id]!;
    const capLen = snap !== 0 && wireLen > snap ? snap : wireLen;
    this.checkCapLen(capLen, bodyEnd - pos - 12, 'simple packet');
    const f = st.frame;
    f.kind = RecordKind.Packet;
    f.fileOffset = base + pos;
    f.hasTs = false;
    f.tsSec = f.tsNsec = 0;
    f.capLen = capLen;
    f.wireLen = wireLen;
    f.dataStart = pos + 12;
    f.interfaceId = id;
    f.linkType = this.ifLink[id]!;
    f.fcsLen = this.ifFcs[id]!;
    f.direction = Direction.Unknown;
    f.epbFlags = f.packetIdHigh = f.packetIdLow = -1;
    f.commentCount = 0;
    f.optionsStart = f.optionsEnd = 0;
    f.littleEndian = this.le;
    st.emit(buf);
  }

  private checkCapLen(capLen: number, room: number, what: string): void {
    if (capLen > MAX_RECORD_CAPLEN || (pad4(capLen) > room && capLen > room)) this.badCapLen(capLen, room, what);
  }

  /** Cold path kept out of line, so the hot caller's inlining budget is not spent on error text. */
  private badCapLen(capLen: number, room: number, what: string): never {
    const st = this.st;
    if (capLen > MAX_RECORD_CAPLEN) {
      throw st.error(CaptureErrorCode.RecordTooLong, `${what} block claims ${capLen} captured bytes, more than the ${MAX_RECORD_CAPLEN}-byte limit`);
    }
    throw st.error(CaptureErrorCode.BadBlock, `${what} block claims ${capLen} captured bytes but holds only ${room}`);
  }

  private interfaceOf(local: number): number {
    if (local >= this.sectionCount) this.badInterface(local);
    return this.sectionBase + local;
  }

  private badInterface(local: number): never {
    throw this.st.error(CaptureErrorCode.BadInterface,
      `packet names interface ${local} but the section has ${this.sectionCount} interface description block(s)`);
  }

  /** Fills the frame for an EPB or PB and emits it. Options are walked for flags, packet id and comments only. */
  private packet(buf: Uint8Array, pos: number, base: number, id: number,
    capLen: number, wireLen: number, dataStart: number, optStart: number, optEnd: number): void {
    const st = this.st;
    const f = st.frame;
    f.number = st.nextFrame;
    const snap = this.ifSnap[id]!;
    if (snap !== 0 && capLen > snap) st.anomalies.record(A.CaptureRecordExceedsSnaplen, f.number);
    if (capLen > wireLen) st.anomalies.record(A.CaptureCaplenExceedsWirelen, f.number);
    f.kind = RecordKind.Packet;
    f.fileOffset = base + pos;
    f.hasTs = true;
    f.capLen = capLen;
    f.wireLen = wireLen;
    f.dataStart = dataStart;
    f.interfaceId = id;
    f.linkType = this.ifLink[id]!;
    f.fcsLen = this.ifFcs[id]!;
    f.direction = Direction.Unknown;
    f.epbFlags = f.packetIdHigh = f.packetIdLow = -1;
    f.commentCount = 0;
    f.littleEndian = this.le;
    if (optStart > optEnd) optStart = optEnd;
    f.optionsStart = optStart;
    f.optionsEnd = optEnd;
    this.packetOptions(optStart, optEnd);
    st.emit(buf);
  }

  /** epb_flags (2), epb_packetid (5) and opt_comment (1), read without allocating. */
  private packetOptions(at: number, end: number): void {
    const le = this.le;
    const dv = this.dv;
    const f = this.st.frame;
    while (end - at >= 4) {
      const code = dv.getUint16(at, le);
      const len = dv.getUint16(at + 2, le);
      if (code === OPT_END) return;
      if (len > end - at - 4) this.optionOverrun(len);
      const v = at + 4;
      if (code === OPT_COMMENT) f.commentCount++;
      else if (code === 2 && len >= 4) {
        const flags = dv.getUint32(v, le);
        f.epbFlags = flags;
        f.direction = (flags & 3) as Direction;
        // Bits 5–8: FCS length in octets; a non-zero value overrides the interface's.
        const fcs = (flags >>> 5) & 0xf;
        if (fcs !== 0) f.fcsLen = fcs;
      } else if (code === 5 && len >= 8) {
        f.packetIdHigh = dv.getUint32(le ? v + 4 : v, le);
        f.packetIdLow = dv.getUint32(le ? v : v + 4, le);
      }
      at = v + pad4(len);
    }
  }

  private optionOverrun(len: number): never {
    throw this.st.error(CaptureErrorCode.BadOption, `option of length ${len} runs past the end of its block`);
  }

  /** Walks an options area (header blocks only; may allocate). */
  private forEachOption(buf: Uint8Array, at: number, end: number, fn: (code: number, v: number, len: number) => void): void {
    const le = this.le;
    while (end - at >= 4) {
      const code = u16x(buf, at, le);
      const len = u16x(buf, at + 2, le);
      if (code === OPT_END) return;
      if (len > end - at - 4) this.optionOverrun(len);
      fn(code, at + 4, len);
      at += 4 + pad4(len);
    }
  }

  /** SHB: byte-order magic, version 1.0 (1.2 accepted as Wireshark does), section length, options (§4.1). */
  private sectionHeader(buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const st = this.st;
    const le = this.le;
    if (bodyEnd - pos < 24) throw st.error(CaptureErrorCode.BadBlock, 'section header block is shorter than its 28-byte minimum');
    const major = u16x(buf, pos + 12, le);
    const minor = u16x(buf, pos + 14, le);
    if (!(major === 1 && (minor === 0 || minor === 2))) {
      throw st.error(CaptureErrorCode.UnsupportedVersion, `pcapng section version ${major}.${minor} is not supported (1.0)`);
    }
    if (st.sections.length >= MAX_SECTIONS) throw st.error(CaptureErrorCode.BadBlock, `more than ${MAX_SECTIONS} sections; da-audit stops reading here`);
    st.countBlock('SHB');
    const section = {
      offset: base + pos, littleEndian: le, versionMajor: major, versionMinor: minor,
      sectionLength: Number(i64x(buf, pos + 16, le)),
      hardware: null as string | null, os: null as string | null, application: null as string | null, comments: [] as string[],
    };
    this.forEachOption(buf, pos + 24, bodyEnd, (code, v, len) => {
      const text = (): string => this.text(buf, v, len);
      if (code === OPT_COMMENT) {
        if (section.comments.length < MAX_COMMENTS) section.comments.push(text());
      }
      else if (code === 2) section.hardware = text();
      else if (code === 3) section.os = text();
      else if (code === 4) section.application = text();
    });
    st.sections.push(section);
    // Interface ids restart at 0 in each section; the global list keeps growing.
    this.inSection = true;
    this.sectionBase = st.interfaces.length;
    this.sectionCount = 0;
  }

  /** IDB: link type, snaplen, and the options that change how packets are read (§4.2). */
  private interfaceDescription(buf: Uint8Array, pos: number, bodyEnd: number): void {
    const st = this.st;
    const le = this.le;
    if (bodyEnd - pos < 16) throw st.error(CaptureErrorCode.BadBlock, 'interface description block is shorter than its 20-byte minimum');
    if (st.interfaces.length >= MAX_INTERFACES) throw st.error(CaptureErrorCode.BadInterface, `more than ${MAX_INTERFACES} interfaces; da-audit stops reading here`);
    st.countBlock('IDB');
    const iface: CaptureInterface = {
      id: st.interfaces.length, section: st.sections.length - 1, localId: this.sectionCount,
      linkType: u16x(buf, pos + 8, le), snaplen: u32x(buf, pos + 12, le), tsResolution: MICROSECONDS, tsOffset: 0,
      fcsLen: -1, name: null, description: null, os: null, filter: null, hardware: null, speed: null, comments: [], packets: 0,
    };
    this.forEachOption(buf, pos + 16, bodyEnd, (code, v, len) => {
      const text = (): string => this.text(buf, v, len);
      switch (code) {
        case OPT_COMMENT: if (iface.comments.length < MAX_COMMENTS) iface.comments.push(text()); break;
        case 2: iface.name = text(); break;
        case 3: iface.description = text(); break;
        case 8: if (len >= 8) iface.speed = Number(u64x(buf, v, le)); break;
        case 9: if (len >= 1) iface.tsResolution = this.resolution(buf[v]!); break;
        case 11: if (len >= 1) iface.filter = buf[v] === 0 ? this.text(buf, v + 1, len - 1) : `(BPF program, ${len - 1} bytes)`; break;
        case 12: iface.os = text(); break;
        case 13: if (len >= 1) iface.fcsLen = buf[v]!; break;
        case 14: if (len >= 8) iface.tsOffset = Number(i64x(buf, v, le)); break;
        case 15: iface.hardware = text(); break;
      }
    });
    st.interfaces.push(iface);
    this.ifRes.push(iface.tsResolution);
    this.ifOffset.push(iface.tsOffset);
    this.ifLink.push(iface.linkType);
    this.ifSnap.push(iface.snaplen);
    this.ifFcs.push(iface.fcsLen);
    const r = iface.tsResolution;
    const dec = r.base === 10 && r.exponent <= 9;
    this.ifDiv.push(dec ? 10 ** r.exponent : 0);
    this.ifMul.push(dec ? 10 ** (9 - r.exponent) : 0);
    this.sectionCount++;
  }

  /** UTF-8 text of a header-block field, within what is left of TEXT_BUDGET (then cut, and marked so). */
  private text(buf: Uint8Array, v: number, len: number): string {
    const keep = Math.min(len, this.textLeft);
    this.textLeft -= keep;
    const text = utf8.decode(buf.subarray(v, v + keep));
    return keep < len ? `${text}… [cut: the file's text over ${TEXT_BUDGET} bytes is not kept]` : text;
  }

  /** if_tsresol: MSB 0 → 10^-n, MSB 1 → 2^-n; Wireshark's bounds (≤ 19, ≤ 63) keep tick counts sane. */
  private resolution(b: number): TsResolution {
    const exponent = b & 0x7f;
    const binary = (b & 0x80) !== 0;
    if (binary ? exponent > 63 : exponent > 19) {
      throw this.st.error(CaptureErrorCode.BadOption, `if_tsresol ${binary ? '2' : '10'}^-${exponent} is out of range`);
    }
    return { base: binary ? 2 : 10, exponent };
  }

  /** NRB: records of type(2) len(2) value padded to 4; 1 = IPv4 + names, 2 = IPv6 + names (§4.5). */
  private nameResolution(buf: Uint8Array, pos: number, bodyEnd: number): void {
    const st = this.st;
    const le = this.le;
    st.countBlock('NRB');
    let at = pos + 8;
    for (;;) {
      if (bodyEnd - at < 4) throw st.error(CaptureErrorCode.BadBlock, 'name resolution block ends without an end-of-records record');
      const type = u16x(buf, at, le);
      const len = u16x(buf, at + 2, le);
      if (type === 0) break;
      if (len > bodyEnd - at - 4) throw st.error(CaptureErrorCode.BadBlock, `name resolution record of length ${len} runs past the end of its block`);
      const addrLen = type === 1 ? 4 : type === 2 ? 16 : 0;
      if (addrLen > 0 && len > addrLen && this.names.length < MAX_NAME_ENTRIES && this.textLeft > 0) {
        const names = this.text(buf, at + 4 + addrLen, len - addrLen).split('\0').filter((s) => s.length > 0);
        this.names.push({ address: buf.slice(at + 4, at + 4 + addrLen), names });
      }
      at += 4 + pad4(len);
    }
  }

  /** ISB: interface id, timestamp, counters as options (§4.6). */
  private interfaceStatistics(buf: Uint8Array, pos: number, bodyEnd: number): void {
    const st = this.st;
    const le = this.le;
    if (bodyEnd - pos < 20) throw st.error(CaptureErrorCode.BadBlock, 'interface statistics block is shorter than its 24-byte minimum');
    st.countBlock('ISB');
    const local = u32x(buf, pos + 8, le);
    if (local >= this.sectionCount) return;
    const stats: InterfaceStatistics = { received: null, dropped: null, osDropped: null, filterAccepted: null, delivered: null };
    this.forEachOption(buf, pos + 20, bodyEnd, (code, v, len) => {
      if (len < 8) return;
      const n = Number(u64x(buf, v, le));
      if (code === 4) stats.received = n;
      else if (code === 5) stats.dropped = n;
      else if (code === 6) stats.filterAccepted = n;
      else if (code === 7) stats.osDropped = n;
      else if (code === 8) stats.delivered = n;
    });
    this.interfaceStats.set(this.sectionBase + local, stats);
  }

  /** DSB: secrets type and length; the secrets themselves are not used (§4.7). */
  private decryptionSecrets(buf: Uint8Array, pos: number, bodyEnd: number): void {
    const st = this.st;
    if (bodyEnd - pos < 16) throw st.error(CaptureErrorCode.BadBlock, 'decryption secrets block is shorter than its 20-byte minimum');
    st.countBlock('DSB');
    if (this.secretsTypes.length < MAX_SECRETS_TYPES) this.secretsTypes.push(u32x(buf, pos + 8, this.le));
  }

  /** Custom block: PEN and opaque data. Wireshark gives it a frame number, so we do too (§4.8). */
  private customBlock(buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const st = this.st;
    if (bodyEnd - pos < 12) throw st.error(CaptureErrorCode.BadBlock, 'custom block is shorter than its 16-byte minimum');
    st.countBlock('custom');
    this.otherRecord(buf, RecordKind.CustomBlock, pos, pos + 12, bodyEnd, base, false, 0, 0);
  }

  /**
   * systemd Journal Export block: one journal entry as text. etl2pcapng writes one per non-packet
   * ETW event; Wireshark numbers them as frames, timed by the entry's __REALTIME_TIMESTAMP (µs).
   */
  private journalExport(buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const st = this.st;
    // Wireshark's minimum: a 12-byte block frame around "__REALTIME_TIMESTAMP=0\n" (23 bytes).
    if (bodyEnd + 4 - pos < 35) throw st.error(CaptureErrorCode.BadBlock, 'systemd journal export block is shorter than its 35-byte minimum');
    st.countBlock('journal');
    let end = bodyEnd;
    while (end > pos + 8 && buf[end - 1] === 0) end--; // entries are NUL-padded to 4 bytes
    if (end - pos - 8 < 23) throw st.error(CaptureErrorCode.BadBlock, `systemd journal entry of ${end - pos - 8} bytes is shorter than the 23-byte minimum`);
    const usec = realtimeMicros(buf, pos + 8, end);
    if (usec < 0) this.otherRecord(buf, RecordKind.JournalExport, pos, pos + 8, end, base, false, 0, 0);
    else this.otherRecord(buf, RecordKind.JournalExport, pos, pos + 8, end, base, true, Math.floor(usec / 1e6), (usec % 1e6) * 1000);
  }

  private otherRecord(buf: Uint8Array, kind: RecordKind, pos: number, dataStart: number, dataEnd: number, base: number,
    hasTs: boolean, sec: number, nsec: number): void {
    const f = this.st.frame;
    f.kind = kind;
    f.fileOffset = base + pos;
    f.hasTs = hasTs;
    f.tsSec = sec;
    f.tsNsec = nsec;
    f.capLen = f.wireLen = dataEnd - dataStart;
    f.dataStart = dataStart;
    f.interfaceId = -1;
    f.linkType = -1;
    f.fcsLen = 0;
    f.direction = Direction.Unknown;
    f.epbFlags = f.packetIdHigh = f.packetIdLow = -1;
    f.commentCount = 0;
    f.optionsStart = f.optionsEnd = 0;
    this.st.emit(buf);
  }
}

/** Finds `__REALTIME_TIMESTAMP=<µs>` at a line start in a journal entry; -1 when absent. */
function realtimeMicros(buf: Uint8Array, start: number, end: number): number {
  const key = '__REALTIME_TIMESTAMP=';
  for (let at = start; at + key.length < end; ) {
    let match = true;
    for (let k = 0; k < key.length; k++) {
      if (buf[at + k] !== key.charCodeAt(k)) { match = false; break; }
    }
    if (match) {
      let v = 0;
      let digits = 0;
      for (let i = at + key.length; i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39 && digits < 16; i++, digits++) v = v * 10 + (buf[i]! - 0x30);
      return digits > 0 ? v : -1;
    }
    while (at < end && buf[at] !== 0x0a) at++;
    at++;
  }
  return -1;
}
