import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogTime, isLevelEnabled, type Logger, silentLogger } from '../src/logger.js';

const LINE = /^\[([DIWE]) (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\] (.*)\n$/;

function sink(): { chunks: string[]; write(chunk: string): void } {
  const chunks: string[] = [];
  return { chunks, write: (chunk) => void chunks.push(chunk) };
}

describe('createLogger', () => {
  it("prints pyftpdlib's format from the threshold up, and nothing below it", () => {
    const stream = sink();
    const logger = createLogger({ level: 'info', stream });
    logger.debug('hidden');
    logger.info('opened');
    logger.warn('careful');
    logger.error('broken');
    expect(stream.chunks.map((c) => LINE.exec(c)?.[1])).toEqual(['I', 'W', 'E']);
    expect(stream.chunks.map((c) => LINE.exec(c)?.[3])).toEqual(['opened', 'careful', 'broken']);
  });

  it('stamps lines with the current local time, to the second', () => {
    const stream = sink();
    const before = formatLogTime(new Date());
    createLogger({ stream }).info('x');
    const after = formatLogTime(new Date());
    const stamp = LINE.exec(stream.chunks[0]!)?.[2];
    expect([before, after]).toContain(stamp);
  });

  it('adds the process id when asked', () => {
    const stream = sink();
    createLogger({ stream, pid: true }).info('x');
    expect(stream.chunks[0]).toMatch(new RegExp(`^\\[I [\\d: -]+ ${process.pid}\\] x\\n$`));
  });

  it('says which levels it prints', () => {
    const logger = createLogger({ level: 'warn', stream: sink() });
    expect(
      ['debug', 'info', 'warn', 'error', 'silent'].map((l) => logger.isLevelEnabled?.(l as never)),
    ).toEqual([false, false, true, true, false]);
    expect(isLevelEnabled(silentLogger, 'error')).toBe(false);
    expect(isLevelEnabled(createLogger({ level: 'debug', stream: sink() }), 'debug')).toBe(true);
  });

  it('treats a logger without isLevelEnabled (console, a hand-made one) as printing everything', () => {
    const plain: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    expect(isLevelEnabled(plain, 'debug')).toBe(true);
  });

  it('writes the same lines when stderr is a regular file (one write per line)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftpkit-logger-'));
    try {
      const file = join(dir, 'stderr.log');
      const logger = fileURLToPath(new URL('../dist/logger.js', import.meta.url));
      const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => {
        const log = createLogger({ level: 'info' });
        log.debug('no'); log.info('one'); log.warn('two');
      });`;
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'ignore', openSync(file, 'w')],
      });
      const lines = readFileSync(file, 'utf8').split(/(?<=\n)/);
      expect(
        lines.map((l) =>
          LINE.exec(l)
            ?.slice(1, 2)
            .concat(LINE.exec(l)?.[3] ?? ''),
        ),
      ).toEqual([
        ['I', 'one'],
        ['W', 'two'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
