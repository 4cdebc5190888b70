/**
 * Filesystem check of the optional zero-copy capability: a stream from `openRead` that exposes a
 * `sendfileSource` (core then sends the file with `sendfile(2)` and never reads the stream). Skipped
 * when the stream offers none (core streams the file).
 *
 * @module
 */
import { fstatSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { sendfileSourceOf } from '@ftpkit/core';
import { ensure, equal, show, succeeds } from './assert.js';
import { type CheckDefinition, skipCheck } from './check.js';
import { type FsCheckContext, pattern } from './fs-fixture.js';

type FsCheck = CheckDefinition<FsCheckContext>;

/** Reads `fd` from `start` to its end with explicit offsets, as sendfile(2) does. */
function readFrom(fd: number, start: number): Buffer {
  const parts: Buffer[] = [];
  let position = start;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) return Buffer.concat(parts);
    parts.push(chunk.subarray(0, n));
    position += n;
  }
}

function closed(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.once('close', () => resolve());
  });
}

export const SENDFILE_CHECKS: readonly FsCheck[] = [
  {
    name: 'openRead sendfileSource: the descriptor holds the file from start, and closes with the stream',
    async run(ctx) {
      const content = pattern(200 * 1024, 5);
      await ctx.layout([{ type: 'file', path: '/zero-copy.bin', content }]);
      const path = await ctx.resolve('/zero-copy.bin');
      const start = 1234;
      const stream = await succeeds(() => ctx.fs.openRead(path, { start }), `openRead(${show(path)})`);
      try {
        const offered = (stream as { sendfileSource?: unknown }).sendfileSource;
        if (offered === undefined) skipCheck('openRead streams expose no sendfileSource (core streams them)');
        const source = sendfileSourceOf(stream);
        ensure(
          source !== undefined,
          `sendfileSource must be { fd, start } with non-negative integers, got ${show(offered)}`,
        );
        equal(source.start, start, 'sendfileSource.start (the start openRead was given)');
        const stat = fstatSync(source.fd);
        ensure(stat.isFile(), `sendfileSource.fd must be a regular file, got mode ${stat.mode.toString(8)}`);
        equal(stat.size, content.length, 'the size of the file behind sendfileSource.fd');
        const bytes = readFrom(source.fd, source.start);
        ensure(
          bytes.equals(content.subarray(start)),
          `the bytes of sendfileSource.fd from ${start} must be the file's from ${start} (${bytes.length} bytes read, ${content.length - start} expected)`,
        );
        // Core never reads the stream on this path and destroys it when the transfer ends.
        stream.destroy();
        await closed(stream);
        let after: ReturnType<typeof fstatSync> | undefined;
        try {
          after = fstatSync(source.fd);
        } catch {
          after = undefined;
        }
        // The number may already belong to another file opened since; it must not be this one.
        ensure(
          after === undefined || after.ino !== stat.ino || after.dev !== stat.dev,
          'destroying the stream must close sendfileSource.fd',
        );
      } finally {
        stream.destroy();
      }
    },
  },
];
