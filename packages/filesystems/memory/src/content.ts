/**
 * File contents as immutable lists of buffers.
 *
 * A file's bytes are never modified in place: a write builds a new list (reusing views of the old
 * buffers for the parts it keeps) and swaps it in when it commits. A reader that captured the old list
 * keeps a consistent snapshot for as long as it reads, with no copy and no lock.
 *
 * @module
 */

/** The bytes of a file: chunks that are never written to once part of a `Content`. */
export interface Content {
  readonly chunks: readonly Buffer[];
  readonly size: number;
}

/** The content of an empty file. */
export const EMPTY_CONTENT: Content = Object.freeze({ chunks: Object.freeze([]), size: 0 });

/** A content made of `chunks` (empty chunks dropped). */
export function contentOf(chunks: readonly Buffer[]): Content {
  const kept = chunks.filter((chunk) => chunk.length > 0);
  let size = 0;
  for (const chunk of kept) size += chunk.length;
  return { chunks: kept, size };
}

/** Views (no copies) of the bytes `[start, end)` of `content`. */
export function sliceContent(content: Content, start: number, end = content.size): Buffer[] {
  const views: Buffer[] = [];
  if (end <= start) return views;
  let offset = 0;
  for (const chunk of content.chunks) {
    const chunkEnd = offset + chunk.length;
    if (chunkEnd > start && offset < end) {
      views.push(chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset)));
    }
    if (chunkEnd >= end) break;
    offset = chunkEnd;
  }
  return views;
}

/**
 * The content after writing `written` at `position` into `base`: the head before `position` (padded
 * with zeros when `position` is past the end, like a sparse file) and the tail after the written range
 * are kept.
 */
export function overwrite(base: Content, position: number, written: Content): Content {
  const head = sliceContent(base, 0, Math.min(position, base.size));
  const gap = position > base.size ? [Buffer.alloc(position - base.size)] : [];
  const tail = sliceContent(base, position + written.size);
  return contentOf([...head, ...gap, ...written.chunks, ...tail]);
}

/** The content as one new buffer (always a copy: the caller may modify it). */
export function toBuffer(content: Content): Buffer {
  return Buffer.concat(content.chunks as Buffer[], content.size);
}

/** A content holding a copy of `data`. */
export function contentFromBytes(data: string | Uint8Array): Content {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return contentOf([buffer]);
}
