import { isIPv4, isIPv6 } from 'node:net';

/** An address without the `::ffff:` prefix of IPv4-mapped IPv6 addresses. */
export function plainAddress(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** A data-connection target parsed from PORT or EPRT. */
export interface DataTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses a PORT argument `h1,h2,h3,h4,p1,p2`: exactly six integers, the first four 0..255, and
 * `p1*256+p2` in 0..65535. Returns undefined for anything else.
 */
export function parsePortArgument(arg: string): DataTarget | undefined {
  const fields = arg.split(',');
  if (fields.length !== 6) return undefined;
  const numbers: number[] = [];
  for (const field of fields) {
    const text = field.trim();
    if (!/^\d{1,5}$/.test(text)) return undefined;
    numbers.push(Number(text));
  }
  const [a, b, c, d, p1, p2] = numbers as [number, number, number, number, number, number];
  if ([a, b, c, d].some((octet) => octet > 255)) return undefined;
  const port = p1 * 256 + p2;
  if (p1 > 255 || p2 > 255 || port > 65535) return undefined;
  return { host: `${a}.${b}.${c}.${d}`, port };
}

/** The outcome of parsing an EPRT argument. */
export type EprtParse =
  | { ok: true; protocol: 1 | 2; host: string; port: number }
  | { ok: false; reason: 'format' | 'protocol' };

/**
 * Parses an EPRT argument `<d>proto<d>address<d>port<d>` (RFC 2428): the first character is the
 * delimiter, protocol 1 (IPv4) or 2 (IPv6).
 */
export function parseEprtArgument(arg: string): EprtParse {
  if (arg.length < 2) return { ok: false, reason: 'format' };
  const delimiter = arg[0]!;
  const parts = arg.split(delimiter);
  // A well-formed argument splits into ['', proto, address, port, ''].
  if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '') return { ok: false, reason: 'format' };
  const [, proto, host, portText] = parts as [string, string, string, string, string];
  if (!/^\d{1,5}$/.test(portText)) return { ok: false, reason: 'format' };
  const port = Number(portText);
  if (port > 65535) return { ok: false, reason: 'format' };
  if (proto === '1') {
    if (!isIPv4(host)) return { ok: false, reason: 'format' };
    return { ok: true, protocol: 1, host, port };
  }
  if (proto === '2') {
    if (!isIPv6(host)) return { ok: false, reason: 'format' };
    return { ok: true, protocol: 2, host, port };
  }
  return { ok: false, reason: 'protocol' };
}

/** The `h1,h2,h3,h4,p1,p2` part of a 227 reply. */
export function formatPasvAddress(ipv4: string, port: number): string {
  return `${ipv4.split('.').join(',')},${Math.floor(port / 256)},${port % 256}`;
}
