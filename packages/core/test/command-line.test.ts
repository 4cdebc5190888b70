import { describe, expect, it } from 'vitest';
import { CommandLineSplitter, stripTelnet } from '../src/protocol/command-line.js';
import { parseCommandLine } from '../src/protocol/parse.js';

const lines = (results: ReturnType<CommandLineSplitter['push']>): string[] =>
  results.map((r) => (r.kind === 'line' ? r.line.toString('latin1') : '<too-long>'));

describe('CommandLineSplitter', () => {
  it('splits on CRLF only and keeps a bare LF inside the line', () => {
    const s = new CommandLineSplitter(2048);
    expect(lines(s.push(Buffer.from('NOOP\r\nSYST\r\nno\nop\r\nPART')))).toEqual(['NOOP', 'SYST', 'no\nop']);
    expect(s.pendingBytes).toBe(4);
    expect(lines(s.push(Buffer.from('IAL\r')))).toEqual([]);
    expect(lines(s.push(Buffer.from('\n')))).toEqual(['PARTIAL']);
  });

  it('reports an over-long line once and skips it to the next CRLF', () => {
    const s = new CommandLineSplitter(16);
    expect(lines(s.push(Buffer.from('x'.repeat(20))))).toEqual(['<too-long>']);
    expect(lines(s.push(Buffer.from('y'.repeat(50))))).toEqual([]);
    expect(lines(s.push(Buffer.from('zz\r\nNOOP\r\n')))).toEqual(['NOOP']);
    expect(lines(s.push(Buffer.from(`${'a'.repeat(17)}\r\nOK\r\n`)))).toEqual(['<too-long>', 'OK']);
    expect(lines(s.push(Buffer.from(`${'a'.repeat(16)}\r\n`)))).toEqual(['a'.repeat(16)]);
  });

  it('handles a CR at the end of a skipped chunk', () => {
    const s = new CommandLineSplitter(4);
    expect(lines(s.push(Buffer.from('abcdefgh\r')))).toEqual(['<too-long>']);
    expect(lines(s.push(Buffer.from('\nNOOP\r\n')))).toEqual(['NOOP']);
  });

  it('cuts several lines out of one chunk and keeps only the unfinished rest', () => {
    const s = new CommandLineSplitter(8);
    expect(lines(s.push(Buffer.from('USER a\r\nPASS b\r\n\r\nTYPE I\r\nNO')))).toEqual([
      'USER a',
      'PASS b',
      '',
      'TYPE I',
    ]);
    expect(s.pendingBytes).toBe(2);
    // The length cap applies to each line, not to its offset in the chunk.
    expect(lines(s.push(Buffer.from('OP\r\n12345678\r\n123456789\r\nok\r\n')))).toEqual([
      'NOOP',
      '12345678',
      '<too-long>',
      'ok',
    ]);
    expect(s.pendingBytes).toBe(0);
  });

  it('takes a chunk that is exactly one line, at the length cap and past it', () => {
    const s = new CommandLineSplitter(4);
    expect(lines(s.push(Buffer.from('abcd\r\n')))).toEqual(['abcd']);
    expect(lines(s.push(Buffer.from('abcde\r\n')))).toEqual(['<too-long>']);
    expect(lines(s.push(Buffer.from('\r\n')))).toEqual(['']);
    expect(lines(s.push(Buffer.from('\xff\xf4AB\r\n', 'latin1')))).toEqual(['AB']);
    expect(s.pendingBytes).toBe(0);
  });

  it('does not pair an LF with the LF of the line before it', () => {
    const s = new CommandLineSplitter(64);
    expect(lines(s.push(Buffer.from('NOOP\r\n\nSYST\r\n')))).toEqual(['NOOP', '\nSYST']);
  });

  it('discards what is buffered', () => {
    const s = new CommandLineSplitter(64);
    s.push(Buffer.from('half'));
    s.discard();
    expect(lines(s.push(Buffer.from('NOOP\r\n')))).toEqual(['NOOP']);
  });
});

describe('stripTelnet', () => {
  it('removes IAC commands and un-doubles IAC IAC', () => {
    expect([...stripTelnet(Buffer.from([0xff, 0xf4, 0xff, 0xf2, 0x41]))]).toEqual([0x41]);
    expect([...stripTelnet(Buffer.from([0x41, 0xff, 0xfb, 0x01, 0x42]))]).toEqual([0x41, 0x42]);
    expect([...stripTelnet(Buffer.from([0xff, 0xff, 0x41]))]).toEqual([0xff, 0x41]);
    expect([...stripTelnet(Buffer.from([0x41, 0xff]))]).toEqual([0x41]);
    const plain = Buffer.from('plain');
    expect(stripTelnet(plain)).toBe(plain);
  });
});

describe('parseCommandLine', () => {
  it('splits at the first space, upper-cases the command and keeps the argument verbatim', () => {
    expect(parseCommandLine('cwd  x ')).toEqual({ name: 'CWD', arg: ' x ' });
    expect(parseCommandLine('NOOP')).toEqual({ name: 'NOOP', arg: undefined });
    expect(parseCommandLine('PASS ')).toEqual({ name: 'PASS', arg: '' });
  });

  it('turns SITE sub-commands into their own names', () => {
    expect(parseCommandLine('site chmod 755 f')).toEqual({ name: 'SITE CHMOD', arg: '755 f' });
    expect(parseCommandLine('SITE help')).toEqual({ name: 'SITE HELP', arg: undefined });
    expect(parseCommandLine('SITE')).toEqual({ name: 'SITE', arg: undefined });
  });
});

describe('urgent commands sent with MSG_OOB', () => {
  it('takes ABOR\\r as a line when the LF went out of band, and drops a late LF', () => {
    const s = new CommandLineSplitter(2048);
    expect(lines(s.push(Buffer.from('ABOR\r')))).toEqual(['ABOR']);
    expect(lines(s.push(Buffer.from('\nNOOP\r\n')))).toEqual(['NOOP']);
    expect(lines(s.push(Buffer.from([0xff, 0xf4, 0xff, 0xf2, ...Buffer.from('abor\r')])))).toEqual(['abor']);
    expect(lines(s.push(Buffer.from('NOOP\r\n')))).toEqual(['NOOP']);
    expect(lines(s.push(Buffer.from('RETR file\r')))).toEqual([]);
    expect(lines(s.push(Buffer.from('\n')))).toEqual(['RETR file']);
  });
});
