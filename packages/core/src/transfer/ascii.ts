import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

/**
 * TYPE A on send: every LF not already preceded by CR becomes CRLF. A CR at the end of one chunk is
 * remembered, so a CRLF split across chunks is not doubled.
 *
 * Each converted chunk is one buffer of the exact size, filled by copying the runs between line feeds:
 * about twice as fast on text as gathering the runs and a CRLF per line for `Buffer.concat`.
 */
export class ToNetworkAscii extends Transform {
  private lastWasCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const length = chunk.length;
    if (length === 0) {
      callback();
      return;
    }
    const lastWasCr = this.lastWasCr;
    this.lastWasCr = chunk[length - 1] === CR;
    // Two passes over the line feeds (memchr): one to size the output, one to fill it.
    let added = 0;
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, lf + 1)) {
      if (!(lf > 0 ? chunk[lf - 1] === CR : lastWasCr)) added++;
    }
    if (added === 0) {
      callback(null, chunk);
      return;
    }
    const out = Buffer.allocUnsafe(length + added);
    let from = 0;
    let to = 0;
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, lf + 1)) {
      if (lf > 0 ? chunk[lf - 1] === CR : lastWasCr) continue;
      to += chunk.copy(out, to, from, lf);
      out[to++] = CR;
      from = lf;
    }
    chunk.copy(out, to, from, length);
    callback(null, out);
  }
}

/**
 * TYPE A on receive: CRLF becomes LF. A CR at the end of a chunk is held back until the next chunk shows
 * whether an LF follows; a CR at the very end of the upload is kept (pyftpdlib drops it).
 */
export class FromNetworkAscii extends Transform {
  private heldCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    const parts: Buffer[] = [];
    let start = 0;
    if (this.heldCr) {
      this.heldCr = false;
      if (chunk[0] !== LF) parts.push(Buffer.from([CR]));
    }
    let lf = chunk.indexOf(LF);
    while (lf >= 0) {
      if (lf > 0 && chunk[lf - 1] === CR) {
        parts.push(chunk.subarray(start, lf - 1));
        start = lf;
      }
      lf = chunk.indexOf(LF, lf + 1);
    }
    let end = chunk.length;
    if (chunk[end - 1] === CR) {
      this.heldCr = true;
      end -= 1;
    }
    if (start === 0 && end === chunk.length && parts.length === 0) {
      callback(null, chunk);
      return;
    }
    if (end > start) parts.push(chunk.subarray(start, end));
    callback(null, parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.heldCr ? Buffer.from([CR]) : undefined);
  }
}
