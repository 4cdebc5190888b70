import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from([CR, LF]);

/**
 * TYPE A on send: every LF not already preceded by CR becomes CRLF. A CR at the end of one chunk is
 * remembered, so a CRLF split across chunks is not doubled.
 */
export class ToNetworkAscii extends Transform {
  private lastWasCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const parts: Buffer[] = [];
    let start = 0;
    let lf = chunk.indexOf(LF);
    while (lf >= 0) {
      const preceded = lf > 0 ? chunk[lf - 1] === CR : this.lastWasCr;
      if (!preceded) {
        if (lf > start) parts.push(chunk.subarray(start, lf));
        parts.push(CRLF);
        start = lf + 1;
      }
      lf = chunk.indexOf(LF, lf + 1);
    }
    if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === CR;
    if (parts.length === 0) {
      callback(null, chunk);
      return;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
    callback(null, Buffer.concat(parts));
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
