/** One tshark run per input, with every field the differential tests compare (memoised per path). */
import { runAsync } from './inputs.js';

/** Frame-level fields (reader) followed by decoder fields. */
export const FRAME_FIELDS = ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id'] as const;
export const DECODE_FIELDS = [
  'frame.protocols', 'ip.src', 'ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'tcp.srcport', 'tcp.dstport',
  'udp.srcport', 'udp.dstport', 'esp.spi', 'esp.sequence', 'ah.spi', 'vlan.id', 'ieee8021ad.id', 'icmpv6.type', 'icmpv6.code',
] as const;
const ALL = [...FRAME_FIELDS, ...DECODE_FIELDS];

/**
 * tshark options, each matching a documented choice of da-audit:
 * - no name resolution;
 * - Teredo found off port 3544 too: DirectAccess peers and relays talk Teredo on the clients' mapped
 *   ports, so da-audit probes for it (strictly: IPv6 whose length matches the datagram, with a Teredo
 *   address); tshark does the same only with this preference;
 * - no IPv4/IPv6 reassembly: da-audit decodes every fragment on its own (the first down to its
 *   transport header, later ones not at all), as tshark does with reassembly off.
 */
export const TSHARK_ARGS = ['-n', '-o', 'teredo.heuristic_teredo:TRUE', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];

export type TsharkRow = Record<(typeof ALL)[number], string>;

const cache = new Map<string, Promise<TsharkRow[]>>();

export function tsharkRows(path: string): Promise<TsharkRow[]> {
  let p = cache.get(path);
  if (!p) {
    p = runAsync('tshark', [...TSHARK_ARGS, '-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,',
      ...ALL.flatMap((f) => ['-e', f])]).then((r) => r.stdout.split('\n').filter((l) => l.length > 0).map((line) => {
      const cells = line.split('\t');
      const row = {} as TsharkRow;
      ALL.forEach((f, i) => (row[f] = cells[i] ?? ''));
      return row;
    }));
    cache.set(path, p);
  }
  return p;
}
