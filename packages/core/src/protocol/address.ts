import { isIPv4 } from 'node:net';

/** An address without the `::ffff:` prefix of IPv4-mapped IPv6 addresses. */
export function plainAddress(address: string): string {
  // Runs for every connection: only an address starting with `::` can carry the prefix.
  if (address.length < 8 || address.charCodeAt(0) !== 0x3a || address.charCodeAt(1) !== 0x3a) return address;
  return address.slice(0, 7).toLowerCase() === '::ffff:' && isIPv4(address.slice(7))
    ? address.slice(7)
    : address;
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
  // Like pyftpdlib, only the resulting port is checked, not p1 and p2 one by one.
  if (port > 65535) return undefined;
  return { host: `${a}.${b}.${c}.${d}`, port };
}

/** An EPRT argument split into its fields; the address is checked later, against the protocol. */
export interface EprtFields {
  /** The protocol field as sent: `1` (IPv4), `2` (IPv6) or anything else. */
  readonly protocol: string;
  /** The address field as sent. */
  readonly host: string;
  /** The port, 0..65535. */
  readonly port: number;
}

/**
 * Splits an EPRT argument `<d>proto<d>address<d>port<d>` (RFC 2428): the first character is the
 * delimiter. Returns undefined when the fields or the port are malformed (`501 Invalid EPRT format.`).
 */
export function parseEprtArgument(arg: string): EprtFields | undefined {
  if (arg.length < 2) return undefined;
  const parts = arg.split(arg[0]!);
  // A well-formed argument splits into ['', proto, address, port, ''].
  if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '') return undefined;
  const [, protocol, host, portText] = parts as [string, string, string, string, string];
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { protocol, host, port };
}

/** The `h1,h2,h3,h4,p1,p2` part of a 227 reply. */
export function formatPasvAddress(ipv4: string, port: number): string {
  return `${ipv4.split('.').join(',')},${Math.floor(port / 256)},${port % 256}`;
}
