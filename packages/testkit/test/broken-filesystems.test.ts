import { closeSync, constants, openSync } from 'node:fs';
import { lstat as fs_lstat, mkdir, open, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { FileStat, FileSystem, OpenReadOptions, OpenWriteOptions } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import {
  type ContractCheck,
  type FileSystemContractOptions,
  fileSystemCheckNames,
  fileSystemChecks,
} from '../src/index.js';
import {
  ListingReferenceFs,
  ReferenceFs,
  referenceFixture,
  SyncFileWriter,
  SyncWriteReferenceFs,
  type SyncWriterFactory,
} from './reference-fs.js';

function check(options: FileSystemContractOptions, name: string): ContractCheck {
  const found = fileSystemChecks(options).find((c) => c.name === name);
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

/** Runs one check against a broken variant and returns its failure message. */
async function failure(make: (root: string) => FileSystem, name: string): Promise<string> {
  const result = await check({ create: referenceFixture(make) }, name)
    .run()
    .then(
      (r) => `passed (${r.status})`,
      (error: unknown) => error,
    );
  expect(result, `the check "${name}" should fail`).toBeInstanceOf(Error);
  expect((result as Error).name).toBe('ContractViolation');
  return (result as Error).message;
}

/** A reference filesystem with some methods replaced. */
function broken(patch: (fs: ReferenceFs) => Partial<Record<keyof FileSystem, unknown>>) {
  return (root: string): FileSystem => {
    const fs = new ReferenceFs(root);
    return Object.assign(fs, patch(fs)) as FileSystem;
  };
}

describe('the filesystem checks against a correct filesystem', () => {
  it('all pass (chmod, utimes, the listing capabilities, sendfileSource and writeSync are skipped: the reference has none)', async () => {
    const results: Record<string, string> = {};
    for (const c of fileSystemChecks({ create: referenceFixture() })) {
      const result = await c.run();
      results[c.name] = result.status;
    }
    const skipped = Object.entries(results)
      .filter(([, status]) => status === 'skipped')
      .map(([name]) => name);
    expect(skipped.sort()).toEqual(
      [
        'chmod: sets the permission bits (SITE CHMOD)',
        ...fileSystemCheckNames().filter((name) =>
          /^(lstatEntries|readdirBatches|openRead sendfileSource|openWrite writeSync):/.test(name),
        ),
        'utimes: sets the modification time (MFMT)',
      ].sort(),
    );
    expect(Object.keys(results)).toHaveLength(fileSystemCheckNames().length);
  }, 60_000);

  it('refuses a skip that names no check', () => {
    expect(() => fileSystemChecks({ create: referenceFixture(), skip: { 'no such check': 'why' } })).toThrow(
      /names no check: "no such check"/,
    );
  });

  it('marks checks skipped by the author', () => {
    const name = 'readdir: stopping early is clean';
    expect(check({ create: referenceFixture(), skip: { [name]: 'because' } }, name).skipped).toBe('because');
  });

  it('reports a failing create()', async () => {
    const c = fileSystemChecks({ create: () => Promise.reject(new Error('no disk')) })[0]!;
    await expect(c.run()).rejects.toThrow(/options.create\(\) failed: Error: no disk/);
  });
});

describe('the sendfileSource check', () => {
  const name =
    'openRead sendfileSource: the descriptor holds the file from start, and closes with the stream';

  /** A reference whose openRead streams expose a descriptor of their own file, opened as `open` says. */
  function withSource(
    source: (path: string, start: number) => { fd: number; start: number },
    closeFd = true,
  ) {
    return broken((fs) => ({
      async openRead(p: string, options: OpenReadOptions = {}) {
        const stream = await ReferenceFs.prototype.openRead.call(fs, p, options);
        const sendfileSource = source(p, options.start ?? 0);
        if (closeFd) stream.once('close', () => closeSync(sendfileSource.fd));
        return Object.assign(stream, { sendfileSource });
      },
    }));
  }

  it('passes for a stream whose descriptor is the file, at the start asked for', async () => {
    const c = check(
      { create: referenceFixture(withSource((p, start) => ({ fd: openSync(p, 'r'), start }))) },
      name,
    );
    expect(await c.run()).toEqual({ status: 'passed' });
  });

  it('catches a source that ignores the start', async () => {
    const message = await failure(
      withSource((p) => ({ fd: openSync(p, 'r'), start: 0 })),
      name,
    );
    expect(message).toMatch(/sendfileSource\.start/);
  });

  it('catches a descriptor that stays open after the stream is destroyed', async () => {
    const leaked: number[] = [];
    const message = await failure(
      withSource((p, start) => {
        const fd = openSync(p, 'r');
        leaked.push(fd);
        return { fd, start };
      }, false),
      name,
    );
    for (const fd of leaked) closeSync(fd);
    expect(message).toMatch(/must close sendfileSource\.fd/);
  });

  it('catches a malformed source', async () => {
    const message = await failure(
      withSource(() => ({ fd: -1, start: 0 }), false),
      name,
    );
    expect(message).toMatch(/non-negative integers/);
  });
});

describe('the writeSync checks', () => {
  const names = fileSystemCheckNames().filter((name) => name.startsWith('openWrite writeSync:'));
  const [intact, modes, switched, ended] = names as [string, string, string, string];

  /** A filesystem whose upload streams are made by `makeWriter`. */
  const withWriter = (makeWriter: SyncWriterFactory) => (root: string) =>
    new SyncWriteReferenceFs(root, makeWriter);

  /** Keeps the chunks writeSync is given (no copy) and writes them at end(). */
  class KeepingWriter extends SyncFileWriter {
    readonly kept: Uint8Array[] = [];
    override writeSync(chunk: Uint8Array): void {
      if (this.writableEnded) throw new Error('write after end');
      this.kept.push(chunk);
    }
    override _final(callback: (error?: Error | null) => void): void {
      for (const chunk of this.kept) this.writeNow(chunk);
      super._final(callback);
    }
  }

  /** Copies what writeSync is given but only writes it at end(): behind write(), and lost on destroy(). */
  class DeferringWriter extends SyncFileWriter {
    readonly pending: Buffer[] = [];
    override writeSync(chunk: Uint8Array): void {
      if (this.writableEnded) throw new Error('write after end');
      this.pending.push(Buffer.from(chunk));
    }
    override _final(callback: (error?: Error | null) => void): void {
      for (const chunk of this.pending) this.writeNow(chunk);
      super._final(callback);
    }
  }

  /** Takes writeSync calls after end() without a word, and drops them. */
  class SilentAfterEndWriter extends SyncFileWriter {
    override writeSync(chunk: Uint8Array): void {
      if (this.writableEnded) return;
      super.writeSync(chunk);
    }
  }

  it('are four, and all pass for a correct writeSync', async () => {
    expect(names).toHaveLength(4);
    const all = fileSystemChecks({
      create: referenceFixture(withWriter((h, p) => new SyncFileWriter(h, p))),
    });
    for (const c of all.filter((c) => names.includes(c.name))) {
      expect(await c.run(), c.name).toEqual({ status: 'passed' });
    }
  });

  it('catch a writeSync that keeps a reference to the buffer instead of copying it', async () => {
    const message = await failure(
      withWriter((h, p) => new KeepingWriter(h, p)),
      intact,
    );
    expect(message).toMatch(
      /differ from byte 0 .*0xee being what the buffer was overwritten with.*must copy the bytes/,
    );
  });

  it('catch a writeSync that ignores the append position', async () => {
    const message = await failure(
      (root) =>
        Object.assign(new SyncWriteReferenceFs(root), {
          async openWrite(p: string, o: OpenWriteOptions) {
            if (o.mode !== 'append') return SyncWriteReferenceFs.prototype.openWrite.call(this, p, o);
            // No O_APPEND, and writes from 0: on Linux pwrite(2) would append to an O_APPEND file anyway.
            return new SyncFileWriter(await open(p, constants.O_WRONLY | constants.O_CREAT), 0);
          },
        }),
      modes,
    );
    expect(message).toMatch(
      /APPE with writeSync\(\) to an existing file: expected 'one-two-three', got '-two-three'/,
    );
  });

  it('catch writeSync bytes that land behind later write() calls', async () => {
    const message = await failure(
      withWriter((h, p) => new DeferringWriter(h, p)),
      switched,
    );
    expect(message).toMatch(
      /2 writeSync\(\) calls \(70006 bytes\) then 3 write\(\) calls must leave the bytes in that order, but the file .* differs from byte 0/,
    );
  });

  it('catch a writeSync that does nothing after end() instead of throwing', async () => {
    const message = await failure(
      withWriter((h, p) => new SilentAfterEndWriter(h, p)),
      ended,
    );
    expect(message).toMatch(/writeSync\(\) after end\(\) on openWrite\(.*\) must throw .* but it returned/);
  });

  it('catch writeSync bytes that destroy() drops where it keeps those of write()', async () => {
    const message = await failure(
      withWriter((h, p) => new DeferringWriter(h, p)),
      ended,
    );
    expect(message).toMatch(
      /after destroy\(\), a file whose 14 bytes went through writeSync\(\) .*: expected 'the bytes <14 bytes: "partial upload">', got 'the bytes <0 bytes: "">'/,
    );
  });
});

describe('the listing capability checks', () => {
  const listingChecks = () =>
    fileSystemChecks({ create: referenceFixture((root) => new ListingReferenceFs(root)) }).filter((c) =>
      /^(lstatEntries|readdirBatches):/.test(c.name),
    );

  it('pass for a filesystem that has readdirBatches and lstatEntries', async () => {
    const checks = listingChecks();
    expect(checks.length).toBeGreaterThanOrEqual(7);
    for (const c of checks) expect(await c.run(), c.name).toEqual({ status: 'passed' });
  }, 60_000);

  /** A listing-capable reference with some methods replaced. */
  function brokenListing(patch: (fs: ListingReferenceFs) => Partial<Record<keyof FileSystem, unknown>>) {
    return (root: string): FileSystem => {
      const fs = new ListingReferenceFs(root);
      return Object.assign(fs, patch(fs)) as FileSystem;
    };
  }

  it('catch lstatEntries answering in the wrong order', async () => {
    const message = await failure(
      brokenListing((fs) => ({
        lstatEntries: async (dir: string, names: readonly string[]) =>
          (await ListingReferenceFs.prototype.lstatEntries.call(fs, dir, names)).reverse(),
      })),
      'lstatEntries: one stat per name, in order, as lstat reports it; undefined for a missing name',
    );
    expect(message).toMatch(/lstatEntries\(\.\.\.\)\[1\] \("missing", no such entry\): expected undefined/);
  });

  it('catch lstatEntries rejecting for a missing entry', async () => {
    const message = await failure(
      brokenListing(() => ({
        lstatEntries: (dir: string, names: readonly string[]) =>
          Promise.all(
            names.map((name) => (fs_lstat as (p: string) => Promise<FileStat>)(path.join(dir, name))),
          ),
      })),
      'lstatEntries: one stat per name, in order, as lstat reports it; undefined for a missing name',
    );
    expect(message).toMatch(/lstatEntries\(.*\) must succeed, but it failed with .*ENOENT/);
  });

  it('catch lstatEntries following symlinks', async () => {
    const message = await failure(
      brokenListing((fs) => ({
        lstatEntries: (dir: string, names: readonly string[]) =>
          Promise.all(names.map((name) => fs.stat(path.join(dir, name)).catch(() => undefined))),
      })),
      'lstatEntries: a symlink is reported as the link itself',
    );
    expect(message).toMatch(/\.mode compared with lstat/);
  });

  it('catch readdirBatches losing names or yielding empty arrays', async () => {
    const lossy = await failure(
      brokenListing((fs) => ({
        readdirBatches: async function* (p: string) {
          for await (const batch of ListingReferenceFs.prototype.readdirBatches.call(fs, p))
            yield batch.slice(1);
        },
      })),
      'readdirBatches: the names of readdir, in non-empty arrays',
    );
    expect(lossy).toMatch(/compared with readdir|must not yield empty arrays/);
    const empty = await failure(
      brokenListing((fs) => ({
        readdirBatches: async function* (p: string) {
          yield [];
          yield* ListingReferenceFs.prototype.readdirBatches.call(fs, p);
        },
      })),
      'readdirBatches: the names of readdir, in non-empty arrays',
    );
    expect(empty).toMatch(/must not yield empty arrays/);
  });

  it('catch readdirBatches that does not fail for a missing directory', async () => {
    const message = await failure(
      brokenListing(() => ({
        readdirBatches: async function* () {
          // nothing, whatever the path
        },
      })),
      'readdirBatches: a missing directory fails with ENOENT, a file with ENOTDIR',
    );
    expect(message).toMatch(/must fail with ENOENT, but it succeeded/);
  });
});

describe('the filesystem checks catch broken filesystems', () => {
  it('resolve without symlink containment', async () => {
    const message = await failure(
      broken((fs) => ({ resolve: async (v: string) => path.join(fs.root, v) })),
      'symlinks: a link leading out of the root is refused with PathOutsideRootError',
    );
    expect(message).toMatch(
      /resolve\("\/escape"\) where \/escape -> "\.\." .* must be refused with PathOutsideRootError, but it resolved to/,
    );
  });

  it('resolve that lets ".." climb above the root', async () => {
    const message = await failure(
      broken((fs) => ({ resolve: async (v: string) => path.join(fs.root, v) })),
      'resolve: never climbs above the root with `..`',
    );
    expect(message).toMatch(
      /resolve\('\/\.\.'\) returned .*: a "\.\." segment must be refused \(PathOutsideRootError\) or stay at the root/,
    );
  });

  it('resolve that refuses paths which do not exist yet', async () => {
    const message = await failure(
      broken((fs) => ({
        resolve: async (v: string) => (await import('node:fs/promises')).realpath(path.join(fs.root, v)),
      })),
      'resolve: accepts targets that do not exist yet (STOR, MKD, RNTO)',
    );
    expect(message).toMatch(
      /resolve\('\/new\.txt'\) must accept a path that does not exist yet, but failed with .*ENOENT/,
    );
  });

  it('resolved paths that listings cannot extend with "/name"', async () => {
    const strip = (p: string) => p.replace(/#$/, '');
    const message = await failure(
      broken((fs) => {
        const patched: Partial<Record<keyof FileSystem, unknown>> = {
          resolve: async (v: string) => `${await ReferenceFs.prototype.resolve.call(fs, v)}#`,
        };
        for (const name of [
          'stat',
          'lstat',
          'readdir',
          'openRead',
          'openWrite',
          'mkdir',
          'rmdir',
          'unlink',
        ] as const) {
          const method = ReferenceFs.prototype[name] as (
            this: ReferenceFs,
            p: string,
            ...rest: unknown[]
          ) => unknown;
          patched[name] = (p: string, ...rest: unknown[]) => method.call(fs, strip(p), ...rest);
        }
        return patched;
      }),
      'resolve: entries of a resolved directory are dir + "/" + name (how listings build paths)',
    );
    expect(message).toMatch(
      /lstat\('.*#\/dir'\) \(core's LIST stats dir \+ "\/" \+ name for each readdir name\) must succeed, but it failed with .*ENOENT/,
    );
  });

  it('stat errors without an errno code', async () => {
    const message = await failure(
      broken((fs) => ({
        stat: async (p: string) => {
          try {
            return await ReferenceFs.prototype.stat.call(fs, p);
          } catch {
            throw new Error('not found');
          }
        },
      })),
      'stat: a missing path fails with ENOENT',
    );
    expect(message).toMatch(/stat\('.*\/missing'\) must fail with ENOENT, got Error: not found/);
  });

  it('stat with a numeric mtime', async () => {
    const message = await failure(
      broken((fs) => ({
        stat: async (p: string) => ({
          ...(await ReferenceFs.prototype.stat.call(fs, p)),
          mode: 0o100644,
          mtime: Date.now(),
        }),
      })),
      'stat: a file is S_IFREG with its size and a valid mtime',
    );
    expect(message).toMatch(
      /stat\(.*\)\.mtime must be a valid Date \(LIST, MLSx and MDTM format it\), got \d+/,
    );
  });

  it('stat without the file type bits', async () => {
    const message = await failure(
      broken((fs) => ({
        lstat: async (p: string): Promise<FileStat> => {
          const s = await ReferenceFs.prototype.lstat.call(fs, p);
          return { mode: s.mode & 0o777, size: s.size, mtime: s.mtime, nlink: 1, uid: 0, gid: 0 };
        },
      })),
      'stat: a directory is S_IFDIR',
    );
    expect(message).toMatch(
      /lstat\(.*\)\.mode must have the S_IFDIR type bits \(0o040000\), got type bits 0o0 \(mode 0o755\)/,
    );
  });

  it('lstat that follows symlinks', async () => {
    const message = await failure(
      broken((fs) => ({ lstat: (p: string) => ReferenceFs.prototype.stat.call(fs, p) })),
      'symlinks: a link inside the root resolves; stat follows it, lstat does not',
    );
    expect(message).toMatch(
      /lstat\(\) of a symlink must report the link itself \(S_IFLNK\), got a regular file/,
    );
  });

  it('readdir that returns a promise of an array', async () => {
    const message = await failure(
      broken(() => ({ readdir: async (p: string) => (await import('node:fs/promises')).readdir(p) })),
      'readdir: an async iterable of the entry names, without . and ..',
    );
    expect(message).toMatch(
      /readdir\(.*\) must return an async iterable \(e\.g\. an async generator\), got Promise/,
    );
  });

  it('readdir that lists . and ..', async () => {
    const message = await failure(
      broken((fs) => ({
        readdir: async function* (p: string) {
          yield '.';
          yield '..';
          yield* ReferenceFs.prototype.readdir.call(fs, p);
        },
      })),
      'readdir: an async iterable of the entry names, without . and ..',
    );
    expect(message).toMatch(
      /readdir of the root: expected \[ 'dir', 'empty', 'file\.txt' \], got \[ '\.', '\.\.', 'dir'/,
    );
  });

  it('openRead that ignores start', async () => {
    const message = await failure(
      broken((fs) => ({
        openRead: (p: string, o: OpenReadOptions = {}) =>
          ReferenceFs.prototype.openRead.call(fs, p, { ...o, start: 0 }),
      })),
      'openRead: starts at an offset (REST)',
    );
    expect(message).toMatch(
      /openRead with start 7 of "hello, world\\n": expected 'world\\n', got 'hello, world\\n'/,
    );
  });

  it('openRead that yields the whole file as one chunk', async () => {
    const message = await failure(
      broken(() => ({
        openRead: async (p: string) => Readable.from([await (await import('node:fs/promises')).readFile(p)]),
      })),
      'openRead: chunks are at most highWaterMark bytes',
    );
    expect(message).toMatch(
      /must yield chunks of at most 4096 bytes \(core's bufferSize\), got a chunk of 40960/,
    );
  });

  it('openRead that ignores backpressure', async () => {
    const message = await failure(
      broken(() => ({
        openRead: async (p: string) => {
          const data = await (await import('node:fs/promises')).readFile(p);
          const stream = new Readable({ highWaterMark: 4096, read() {} });
          for (let i = 0; i < data.length; i += 4096) stream.push(data.subarray(i, i + 4096));
          stream.push(null);
          return stream;
        },
      })),
      'openRead: honours backpressure (does not buffer the whole file)',
    );
    expect(message).toMatch(/nobody reads must stop pushing, but it buffered 524288 bytes of a 512 KiB file/);
  });

  it('openRead of a missing file that rejects with a plain Error', async () => {
    const message = await failure(
      broken(() => ({ openRead: async () => Promise.reject(new TypeError('cannot open')) })),
      'openRead: a missing file fails with ENOENT, a directory with EISDIR',
    );
    expect(message).toMatch(
      /openRead\(.*missing\.txt'\) \(the promise must reject before any stream exists\) must fail with ENOENT, got TypeError: cannot open/,
    );
  });

  it('append that truncates', async () => {
    const message = await failure(
      broken((fs) => ({
        openWrite: (p: string, o: OpenWriteOptions) =>
          ReferenceFs.prototype.openWrite.call(fs, p, o.mode === 'append' ? { ...o, mode: 'truncate' } : o),
      })),
      'openWrite append: creates a missing file, then adds at its end',
    );
    expect(message).toMatch(/APPE to an existing file: expected 'one-two-three', got '-two-three'/);
  });

  it('offset writes that drop the tail', async () => {
    const message = await failure(
      broken((fs) => ({
        openWrite: async (p: string, o: OpenWriteOptions) => {
          if (o.mode !== 'offset') return ReferenceFs.prototype.openWrite.call(fs, p, o);
          const handle = await (await import('node:fs/promises')).open(p, 'r+');
          await handle.truncate(o.start ?? 0);
          return handle.createWriteStream({ start: o.start ?? 0 });
        },
      })),
      'openWrite offset: writes from start and keeps the tail (REST + STOR)',
    );
    expect(message).toMatch(/writing "abc" at offset 3 of "0123456789": expected '012abc6789', got '012abc'/);
  });

  it('exclusive create that overwrites', async () => {
    const message = await failure(
      broken((fs) => ({
        openWrite: (p: string, o: OpenWriteOptions) =>
          ReferenceFs.prototype.openWrite.call(
            fs,
            p,
            o.mode === 'exclusive' ? { ...o, mode: 'truncate' } : o,
          ),
      })),
      'openWrite exclusive: creates a new file; an existing name fails with EEXIST (STOU)',
    );
    expect(message).toMatch(
      /openWrite\(.*unique\.txt', \{ mode: 'exclusive' \}\) of an existing file must fail with EEXIST, but it succeeded/,
    );
  });

  it("a write stream whose 'finish' comes before the data is stored", async () => {
    const message = await failure(
      broken((fs) => ({
        openWrite: async (p: string, o: OpenWriteOptions) => {
          const chunks: Buffer[] = [];
          const real = await ReferenceFs.prototype.openWrite.call(fs, p, o);
          real.on('error', () => {});
          return new Writable({
            write(chunk: Buffer, _e, cb) {
              chunks.push(chunk);
              cb();
            },
            final(cb) {
              cb();
              // Stored "later": after 'finish' has told core to answer 226.
              setTimeout(() => real.end(Buffer.concat(chunks)), 20);
            },
          });
        },
      })),
      "openWrite: 'finish' comes only once the data is readable",
    );
    expect(message).toMatch(
      /stat\(\)\.size started from the 'finish' listener \(the data must be complete when 'finish' fires\): expected 307200, got (0|\w+)/,
    );
  });

  it('a write stream that keeps references to the buffers it was given', async () => {
    const message = await failure(
      broken((fs) => ({
        openWrite: async (p: string, o: OpenWriteOptions) => {
          const kept: Buffer[] = [];
          return new Writable({
            write(chunk: Buffer, _e, cb) {
              kept.push(chunk);
              cb();
            },
            final(cb) {
              ReferenceFs.prototype.openWrite.call(fs, p, o).then((real) => {
                real.end(Buffer.concat(kept), () => cb());
              }, cb);
            },
          });
        },
      })),
      'openWrite: a writer may reuse its buffer once a write has called back',
    );
    expect(message).toMatch(/expected 'aaaabbbb', got 'bbbbbbbb'/);
  });

  it('mkdir that creates parents', async () => {
    const message = await failure(
      broken(() => ({ mkdir: async (p: string) => void (await mkdir(p, { recursive: true })) })),
      'mkdir: an existing name fails with EEXIST, a missing parent with ENOENT, a file parent with ENOTDIR',
    );
    expect(message).toMatch(
      /mkdir\(.*\/dir'\) of an existing directory must fail with EEXIST, but it succeeded/,
    );
  });

  it('rmdir that removes whole trees', async () => {
    const message = await failure(
      broken(() => ({ rmdir: (p: string) => rm(p, { recursive: true }) })),
      'rmdir: a non-empty directory fails with ENOTEMPTY, a file with ENOTDIR, a missing one with ENOENT',
    );
    expect(message).toMatch(
      /rmdir\(.*\/dir'\) of a non-empty directory must fail with ENOTEMPTY or EEXIST, but it succeeded/,
    );
  });

  it('rename that refuses to replace a file', async () => {
    const message = await failure(
      broken((fs) => ({
        rename: async (from: string, to: string) => {
          if (
            await fs.lstat(to).then(
              () => true,
              () => false,
            )
          ) {
            throw Object.assign(new Error('exists'), { code: 'EEXIST' });
          }
          return ReferenceFs.prototype.rename.call(fs, from, to);
        },
      })),
      'rename: replaces an existing file, as rename(2) does',
    );
    expect(message).toMatch(
      /rename\("\/dir\/a\.txt" -> "\/file\.txt"\) onto an existing file must succeed, but it failed with Error with code EEXIST/,
    );
  });

  it('unlink with an unknown error code', async () => {
    const message = await failure(
      broken((fs) => ({
        unlink: async (p: string) => {
          await ReferenceFs.prototype.unlink.call(fs, p).catch((error: { code?: string }) => {
            throw Object.assign(new Error('nope'), {
              code: error.code === 'ENOENT' ? 'ENOFILE' : error.code,
            });
          });
        },
      })),
      'unlink: removes a file; a directory fails with EISDIR (or EPERM), a missing file with ENOENT',
    );
    expect(message).toMatch(
      /unlink\(.*\) of a missing file must fail with ENOENT, got Error with code ENOFILE: nope/,
    );
  });

  it('a read-only filesystem that crashes instead of refusing', async () => {
    const make = broken(() => ({
      openWrite: () => {
        throw new TypeError('Cannot read properties of undefined');
      },
    }));
    const options: FileSystemContractOptions = {
      readOnly: true,
      async create() {
        const fixture = await referenceFixture(make)();
        const fs = fixture.fs;
        return {
          ...fixture,
          async seed(entries) {
            for (const entry of entries) {
              const p = path.join(fs.root, entry.path);
              if (entry.type === 'directory') await mkdir(p);
              else await (await import('node:fs/promises')).writeFile(p, entry.content);
            }
          },
        };
      },
    };
    const c = check(options, 'read-only: every change is refused with an error core reports as 550');
    await expect(c.run()).rejects.toThrow(
      /openWrite\(truncate\) must fail with a FilesystemError or an errno-style error \(code: 'E\.\.\.'\), got TypeError: Cannot read properties of undefined; core treats anything else as a bug/,
    );
  });
});
