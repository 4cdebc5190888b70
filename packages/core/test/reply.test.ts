import { describe, expect, it } from 'vitest';
import { formatMessageReply, formatMultilineReply, formatReply, quotePath } from '../src/protocol/reply.js';
import { normalizeVirtualPath, virtualBasename } from '../src/protocol/virtual-path.js';

describe('replies', () => {
  it('formats one line and never lets CR or LF through', () => {
    expect(formatReply(200, 'ok')).toBe('200 ok\r\n');
    expect(formatReply(550, 'a\r\n226 forged')).toBe('550 a  226 forged\r\n');
  });

  it('formats multi-line replies, indenting middle lines that start with a digit', () => {
    expect(formatMultilineReply(211, ['first', ' mid', '123 x', 'last'])).toBe(
      '211-first\r\n mid\r\n 123 x\r\n211 last\r\n',
    );
    expect(formatMultilineReply(211, ['only'])).toBe('211 only\r\n');
  });

  it('applies the 75-character rule of banners, login and quit messages', () => {
    expect(formatMessageReply(220, 'short')).toBe('220 short\r\n');
    const long = 'x'.repeat(76);
    expect(formatMessageReply(220, long)).toBe(`220-${long}\r\n220 \r\n`);
    expect(formatMessageReply(230, 'a\nb')).toBe('230-a\r\n230 b\r\n');
    expect(formatMessageReply(230, 'a\r\nb\n')).toBe('230-a\r\nb\r\n230 \r\n');
    expect(formatMessageReply(220, `${'x'.repeat(80)}\r`)).toBe(`220-${'x'.repeat(80)} \r\n220 \r\n`);
  });

  it('doubles quotes in 257 paths', () => {
    expect(quotePath('/a"b"')).toBe('/a""b""');
  });
});

describe('virtual paths', () => {
  it('normalises relative and absolute paths and never climbs above /', () => {
    expect(normalizeVirtualPath('/', 'a')).toBe('/a');
    expect(normalizeVirtualPath('/a/b', '../c')).toBe('/a/c');
    expect(normalizeVirtualPath('/a', '/x/./y/')).toBe('/x/y');
    expect(normalizeVirtualPath('/a', '../../../..')).toBe('/');
    expect(normalizeVirtualPath('/', '//etc')).toBe('/etc');
    expect(normalizeVirtualPath('/', 'a\\..\\b')).toBe('/a\\..\\b');
    expect(normalizeVirtualPath('/a', '')).toBe('/a');
  });

  it('takes the last segment', () => {
    expect(virtualBasename('/a/b.txt')).toBe('b.txt');
    expect(virtualBasename('/')).toBe('/');
  });
});
