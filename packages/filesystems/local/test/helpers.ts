import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

/** A fresh, real (symlink-free) temporary directory, removed after the current test. */
export function tempDir(prefix = 'ftpkit-fs-local-'): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  created.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first `error` of an emitter, or rejects if it closes without one. */
export function nextError(stream: NodeJS.EventEmitter): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    stream.once('error', resolve);
    stream.once('close', () => reject(new Error('closed without an error')));
  });
}
