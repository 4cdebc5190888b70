/**
 * Control-connection framing: CRLF-terminated lines with a length cap, Telnet IAC sequences removed
 * (RFC 959 section 4.1.3 lets clients send Telnet IP and Synch before ABOR/STAT/QUIT).
 */

const CR = 0x0d;
const LF = 0x0a;
const IAC = 0xff;
const WILL = 0xfb;
const DONT = 0xfe;

/** What {@link CommandLineSplitter.push} yields: a complete line, or notice of an over-long one. */
export type SplitResult = { readonly kind: 'line'; readonly line: Buffer } | { readonly kind: 'too-long' };

const TOO_LONG: SplitResult = Object.freeze({ kind: 'too-long' });

/**
 * Splits the control stream into lines. Only `\r\n` ends a line (a bare `\n` is part of the line, as in
 * pyftpdlib). When more than `maxLineLength` bytes arrive without a terminator, the splitter reports
 * `too-long` once and drops everything up to the next `\r\n`.
 */
export class CommandLineSplitter {
  private buffered: Buffer | undefined;
  private skipping = false;
  private skipLf = false;

  constructor(private readonly maxLineLength: number) {}

  /** Bytes held back, waiting for a terminator. */
  get pendingBytes(): number {
    return this.buffered?.length ?? 0;
  }

  /** Drops whatever is buffered (e.g. plaintext pipelined behind `AUTH TLS`). */
  discard(): void {
    this.buffered = undefined;
    this.skipping = false;
  }

  /** Feeds a chunk and returns the lines (and over-long notices) it completes, in order. */
  push(chunk: Buffer): SplitResult[] {
    // Nearly every chunk is one whole command: nothing held back, a single CRLF, at the end.
    const end = chunk.length - 1;
    if (
      this.buffered === undefined &&
      !this.skipping &&
      !this.skipLf &&
      end > 0 &&
      end - 1 <= this.maxLineLength &&
      chunk[end] === LF &&
      chunk[end - 1] === CR &&
      chunk.indexOf(LF) === end
    ) {
      return [{ kind: 'line', line: stripTelnet(chunk.subarray(0, end - 1)) }];
    }
    return this.split(chunk);
  }

  private split(chunk: Buffer): SplitResult[] {
    const results: SplitResult[] = [];
    if (this.skipLf && chunk.length > 0) {
      this.skipLf = false;
      if (chunk[0] === LF) chunk = chunk.subarray(1);
    }
    let data = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    this.buffered = undefined;
    // Lines are cut by offset; the remainder becomes a view only if something is left after them.
    let start = 0;
    for (;;) {
      const lf = findCrlf(data, start);
      if (lf < 0) break;
      if (this.skipping) {
        this.skipping = false;
      } else if (lf - 1 - start > this.maxLineLength) {
        results.push(TOO_LONG);
      } else {
        results.push({ kind: 'line', line: stripTelnet(data.subarray(start, lf - 1)) });
      }
      start = lf + 1;
    }
    if (start > 0) data = data.subarray(start);
    if (this.skipping) {
      // Keep only a trailing CR: it may pair with an LF in the next chunk.
      this.buffered = data.length > 0 && data[data.length - 1] === CR ? Buffer.from([CR]) : undefined;
      return results;
    }
    if (data.length > this.maxLineLength) {
      results.push(TOO_LONG);
      this.skipping = true;
      this.buffered = data[data.length - 1] === CR ? Buffer.from([CR]) : undefined;
      return results;
    }
    if (data.length === 0) return results;
    if (isUrgentWithoutLf(data)) {
      // Sent with MSG_OOB (Python's ftplib does this for ABOR), the final LF is the TCP urgent byte and
      // never reaches the stream without SO_OOBINLINE, which Node cannot set: `ABOR\r` is a whole line.
      results.push({ kind: 'line', line: stripTelnet(data.subarray(0, data.length - 1)) });
      this.skipLf = true;
      return results;
    }
    if (data.length > 0) this.buffered = Buffer.from(data);
    return results;
  }
}

/**
 * Commands a client may send urgently, preceded by Telnet IP/Synch (RFC 959 4.1.3): the session honours
 * them when only their last four characters match, and the splitter accepts them without the final LF.
 */
export const URGENT_COMMANDS: readonly string[] = ['ABOR', 'STAT', 'QUIT'];

/** True for a short buffered `...ABOR\r` (or STAT, QUIT): an urgent command whose LF went out of band. */
function isUrgentWithoutLf(data: Buffer): boolean {
  if (data.length < 5 || data.length > 64 || data[data.length - 1] !== CR) return false;
  const text = stripTelnet(data.subarray(0, data.length - 1))
    .toString('latin1')
    .toUpperCase();
  return URGENT_COMMANDS.some((command) => text.endsWith(command));
}

/** Index of the LF of the first CRLF at or after `from`, or -1. */
function findCrlf(data: Buffer, from: number): number {
  let i = data.indexOf(LF, from);
  while (i >= 0) {
    if (i > from && data[i - 1] === CR) return i;
    i = data.indexOf(LF, i + 1);
  }
  return -1;
}

/**
 * Removes Telnet commands: `IAC IAC` stands for a 0xFF data byte, `IAC WILL/WONT/DO/DONT x` is three
 * bytes, any other `IAC x` two. UTF-8 never contains 0xFF, so no text is lost.
 */
export function stripTelnet(line: Buffer): Buffer {
  if (line.indexOf(IAC) < 0) return line;
  const out = Buffer.allocUnsafe(line.length);
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    const byte = line[i]!;
    if (byte !== IAC) {
      out[n++] = byte;
      continue;
    }
    const next = line[i + 1];
    if (next === undefined) break;
    if (next === IAC) {
      out[n++] = IAC;
      i += 1;
    } else if (next >= WILL && next <= DONT) {
      i += 2;
    } else {
      i += 1;
    }
  }
  return out.subarray(0, n);
}
