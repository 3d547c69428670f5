/** `check`: the commands that show a verdict's deciding frames in the capture with tshark, and its state on the live client. */

import type { ReasonCode } from '../classify/reasons.js';
import { confirmOf } from '../rules/remedies.js';
import { shellQuote } from './format.js';

/** Frames named in one tshark filter, at most (the first ones, in frame order). */
const MAX_FRAMES = 32;


export interface Check {
  /** tshark on this capture (and, for packets inside IP-HTTPS, on what `da-audit extract` takes out of it). */
  tshark: string[];
  /** Windows commands that confirm the state on the live client. */
  windows: string[];
}

/**
 * The check of a cause: `frame.number in {…}` lists the frames it cites and the verdict's deciding frames with tshark's own protocol and info columns; when the
 * path runs inside IP-HTTPS, tshark cannot see those packets, so the second command reads them from `da-audit extract`,
 * whose packets carry their outer frame number in a comment.
 */
export function checkOf(file: string, deciding: readonly number[], causeCode: ReasonCode, insideIpHttps: boolean): Check {
  const frames = [...new Set(deciding)].sort((x, y) => x - y).slice(0, MAX_FRAMES);
  // tshark's own protocol and info columns, after the field that names the frame.
  const columns = (first: string): string => `-T fields -e ${first} -e _ws.col.Protocol -e _ws.col.Info`;
  const tshark = frames.length === 0 ? [] : [`tshark -r ${shellQuote(file)} -Y ${shellQuote(framesFilter(frames))} ${columns('frame.number')}`];
  if (insideIpHttps && frames.length > 0) {
    tshark.push(`da-audit extract ${shellQuote(file)} -o inner.pcapng && tshark -r inner.pcapng -Y ${shellQuote(`frame.comment matches "^outer frame (${frames.join('|')});"`)} ${columns('frame.comment')}`);
  }
  return { tshark, windows: confirmOf(causeCode) };
}

/** A tshark display filter for these frames (commas between the set's members, as Wireshark 4.0 requires). */
export function framesFilter(frames: readonly number[]): string {
  return `frame.number in {${frames.join(',')}}`;
}
