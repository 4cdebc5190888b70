import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FromNetworkAscii, ToNetworkAscii } from '../src/transfer/ascii.js';

async function run(transform: NodeJS.ReadWriteStream, chunks: string[]): Promise<string> {
  const out: Buffer[] = [];
  const source = Readable.from(chunks.map((c) => Buffer.from(c, 'latin1')));
  for await (const chunk of source.pipe(transform as unknown as NodeJS.WritableStream & Readable))
    out.push(chunk as Buffer);
  return Buffer.concat(out).toString('latin1');
}

describe('TYPE A conversion', () => {
  it('turns LF into CRLF on send, keeping existing CRLF, across chunk boundaries', async () => {
    expect(await run(new ToNetworkAscii(), ['a\nb\r\nc\n'])).toBe('a\r\nb\r\nc\r\n');
    expect(await run(new ToNetworkAscii(), ['a\r', '\nb', '\n'])).toBe('a\r\nb\r\n');
    expect(await run(new ToNetworkAscii(), ['\n', '\n'])).toBe('\r\n\r\n');
    expect(await run(new ToNetworkAscii(), ['no newline'])).toBe('no newline');
  });

  it('turns CRLF into LF on receive, with CR held across chunks and a final CR kept', async () => {
    expect(await run(new FromNetworkAscii(), ['a\r\nb\r\n'])).toBe('a\nb\n');
    expect(await run(new FromNetworkAscii(), ['a\r', '\nb'])).toBe('a\nb');
    expect(await run(new FromNetworkAscii(), ['a\r', 'b'])).toBe('a\rb');
    expect(await run(new FromNetworkAscii(), ['lone\r'])).toBe('lone\r');
    expect(await run(new FromNetworkAscii(), ['\r', '\r', '\n'])).toBe('\r\n');
    expect(await run(new FromNetworkAscii(), ['x\ny'])).toBe('x\ny');
  });

  it('matches a reference conversion for random text split at random points', async () => {
    // Deterministic pseudo-random input, heavy in CR and LF so that every boundary case shows up.
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['\r', '\n', '\r\n', 'a', 'bc', ' ', '\r\r', '\n\n'];
    for (let round = 0; round < 50; round++) {
      let text = '';
      while (text.length < 3000) text += alphabet[next(alphabet.length)];
      const chunks: string[] = [];
      for (let at = 0; at < text.length; ) {
        const size = next(4) === 0 ? 0 : 1 + next(300);
        chunks.push(text.slice(at, at + size));
        at += size;
      }
      const toNetwork = text.replace(/\r?\n/g, (m) => (m === '\n' ? '\r\n' : m));
      expect(await run(new ToNetworkAscii(), chunks)).toBe(toNetwork);
      expect(await run(new FromNetworkAscii(), chunks)).toBe(text.replaceAll('\r\n', '\n'));
    }
  });
});
