import { TextDecoder } from 'node:util';

/**
 * The control-connection character set (pyftpdlib's `encoding`): UTF-8 by default, or any legacy charset
 * that `TextDecoder` knows (latin1, cp1252, GBK, Shift_JIS, Big5, ...). Node can only *encode* UTF-8 and
 * Latin-1 natively, so for other charsets the encoder is built once by decoding every one- and two-byte
 * sequence and inverting the result; characters the charset lacks become `?`.
 */
export interface Charset {
  /** The WHATWG name, e.g. `utf-8`, `windows-1252`, `gbk`. */
  readonly name: string;
  /** True for UTF-8 (FEAT then lists `UTF8`). */
  readonly isUtf8: boolean;
  /** Bytes of a command line to text; invalid bytes become U+FFFD. */
  decode(bytes: Uint8Array): string;
  /** Text to bytes for replies and listings. */
  encode(text: string): Buffer;
}

const cache = new Map<string, Charset>();

/** The charset for a label such as `utf8` or `gbk`; throws a TypeError for an unknown label. */
export function charsetFor(label: string): Charset {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: false });
  } catch {
    throw new TypeError(`encoding "${label}" is not supported`);
  }
  const name = decoder.encoding;
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const charset =
    name === 'utf-8'
      ? {
          name,
          isUtf8: true,
          decode: (b: Uint8Array) => decoder.decode(b),
          encode: (t: string) => Buffer.from(t, 'utf8'),
        }
      : legacyCharset(name, decoder);
  cache.set(name, charset);
  return charset;
}

function legacyCharset(name: string, decoder: TextDecoder): Charset {
  let table: Map<string, Buffer> | undefined;
  const build = (): Map<string, Buffer> => {
    const map = new Map<string, Buffer>();
    const strict = new TextDecoder(name, { fatal: true });
    const tryBytes = (bytes: Buffer): void => {
      let text: string;
      try {
        text = strict.decode(bytes);
      } catch {
        return;
      }
      if (text.length >= 1 && [...text].length === 1 && !map.has(text)) map.set(text, bytes);
    };
    for (let b = 0; b < 256; b++) tryBytes(Buffer.from([b]));
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x30; trail <= 0xfe; trail++) tryBytes(Buffer.from([lead, trail]));
    }
    return map;
  };
  const question = Buffer.from('?');
  return {
    name,
    isUtf8: false,
    decode: (bytes) => decoder.decode(bytes),
    encode(text) {
      table ??= build();
      const parts: Buffer[] = [];
      for (const char of text) {
        const code = char.codePointAt(0) ?? 0;
        parts.push(code < 0x80 ? Buffer.from([code]) : (table.get(char) ?? question));
      }
      return Buffer.concat(parts);
    },
  };
}
