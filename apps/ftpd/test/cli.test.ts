import { describe, expect, it } from 'vitest';
import {
  FILESYSTEM_KINDS,
  parseArguments,
  READ_ONLY_PERM,
  SESSION_REUSE_POLICIES,
  type ServeConfig,
  UsageError,
  WRITE_PERM,
} from '../src/cli.js';
import { FLAGS, helpText } from '../src/flags.js';

const CWD = '/srv/default';

function serve(...argv: string[]): ServeConfig {
  const config = parseArguments(argv, CWD);
  if (config.action !== 'serve') throw new Error(`expected a serve config, got ${config.action}`);
  return config;
}

function usageError(...argv: string[]): string {
  try {
    parseArguments(argv, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`no UsageError for ${JSON.stringify(argv)}`);
}

describe('parseArguments: defaults', () => {
  it('matches pyftpdlib 2.x: anonymous, read-only, port 2121, all interfaces, cwd', () => {
    expect(serve()).toEqual({
      action: 'serve',
      interface: undefined,
      port: 2121,
      write: false,
      perm: READ_ONLY_PERM,
      fs: 'local',
      directory: CWD,
      natAddress: undefined,
      passivePorts: undefined,
      debug: false,
      user: undefined,
      timeout: 300,
      banner: undefined,
      maxCons: 512,
      maxConsPerIp: 0,
      maxLoginAttempts: 3,
      permitForeignAddresses: false,
      permitPrivilegedPorts: false,
      useLocaltime: false,
      disableSendfile: false,
      disableDirectReceive: false,
      disableMemoryRelease: false,
      encoding: 'utf8',
      readLimit: 0,
      writeLimit: 0,
      userReadLimit: 0,
      userWriteLimit: 0,
      tls: undefined,
    });
  });

  it('defaults -d to process.cwd() when no cwd is given', () => {
    const config = parseArguments([]);
    expect(config.action === 'serve' && config.directory).toBe(process.cwd());
  });

  it('uses the pyftpdlib permission letters', () => {
    expect(READ_ONLY_PERM).toBe('elr');
    expect(WRITE_PERM).toBe('elradfmwMT');
  });
});

describe('parseArguments: every flag, short and long', () => {
  it.each([
    [['-i', '127.0.0.1'], { interface: '127.0.0.1' }],
    [['--interface', '::1'], { interface: '::1' }],
    [['--interface=localhost'], { interface: 'localhost' }],
    [['-p', '0'], { port: 0 }],
    [['--port', '65535'], { port: 65535 }],
    [['-p21'], { port: 21 }],
    [['-w'], { write: true, perm: WRITE_PERM }],
    [['--write'], { write: true, perm: WRITE_PERM }],
    [['-d', '/tmp'], { directory: '/tmp' }],
    [['--directory', 'relative/dir'], { directory: 'relative/dir' }],
    [['-n', '203.0.113.7'], { natAddress: '203.0.113.7' }],
    [['--nat-address', '10.0.0.1'], { natAddress: '10.0.0.1' }],
    [['-r', '60000-60099'], { passivePorts: { from: 60000, to: 60099 } }],
    [['--range', '1-65535'], { passivePorts: { from: 1, to: 65535 } }],
    [['-D'], { debug: true }],
    [['--debug'], { debug: true }],
    [['-u', 'bob', '-P', 's3cret'], { user: { name: 'bob', password: 's3cret' } }],
    [['--username', 'bob', '--password', 'a b'], { user: { name: 'bob', password: 'a b' } }],
    [['--timeout', '0'], { timeout: 0 }],
    [['--timeout', '60'], { timeout: 60 }],
    [['--banner', 'Welcome!'], { banner: 'Welcome!' }],
    [['--banner='], { banner: '' }],
    [['--max-cons', '10'], { maxCons: 10 }],
    [['--max-cons', '0'], { maxCons: 0 }],
    [['--max-cons-per-ip', '2'], { maxConsPerIp: 2 }],
    [['--max-login-attempts', '1'], { maxLoginAttempts: 1 }],
    [['--permit-foreign-addresses'], { permitForeignAddresses: true }],
    [['--permit-privileged-ports'], { permitPrivilegedPorts: true }],
    [['--use-localtime'], { useLocaltime: true }],
    [['--disable-sendfile'], { disableSendfile: true }],
    [['--disable-direct-receive'], { disableDirectReceive: true }],
    [['--disable-memory-release'], { disableMemoryRelease: true }],
    [['--fs', 'local'], { fs: 'local', directory: CWD }],
    [['--fs', 'local', '-d', '/srv'], { fs: 'local', directory: '/srv' }],
    [['--fs', 'memory'], { fs: 'memory', directory: undefined }],
    [['--fs=memory', '-w'], { fs: 'memory', directory: undefined, write: true }],
    [['--encoding', 'latin1'], { encoding: 'latin1' }],
    [['--encoding=utf-8'], { encoding: 'utf-8' }],
    [['--encoding', 'cp1252'], { encoding: 'cp1252' }],
    [['--encoding', 'Shift_JIS'], { encoding: 'Shift_JIS' }],
    [[], { readLimit: 0, writeLimit: 0, userReadLimit: 0, userWriteLimit: 0 }],
    [['--read-limit', '512K'], { readLimit: 512 * 1024 }],
    [['--write-limit', '2M'], { writeLimit: 2 * 1024 * 1024 }],
    [['--write-limit', '100000'], { writeLimit: 100_000 }],
    [
      ['--user-read-limit', '64k', '--user-write-limit', '1m'],
      { userReadLimit: 65536, userWriteLimit: 1048576 },
    ],
  ])('%j', (argv, expected) => {
    expect(serve(...argv)).toMatchObject(expected);
  });

  it('combines short switches (-wD) and lets the last repeated flag win', () => {
    expect(serve('-wD', '-p', '1', '-p', '2')).toMatchObject({ write: true, debug: true, port: 2 });
  });

  it('-u/-P with -w gives the named user the write letters', () => {
    expect(serve('-u', 'bob', '-P', 'x', '-w')).toMatchObject({ perm: WRITE_PERM, user: { name: 'bob' } });
  });

  it('accepts a value starting with a dash in the --flag=value form', () => {
    expect(serve('--password=-secret-', '-u', 'bob').user).toEqual({ name: 'bob', password: '-secret-' });
  });
});

describe('parseArguments: help and version', () => {
  it.each([['-h'], ['--help'], ['-p', '1', '--help'], ['-h', '-v']])('%j asks for the help', (...argv) => {
    expect(parseArguments(argv, CWD)).toEqual({ action: 'help' });
  });

  it.each([['-v'], ['--version'], ['-v', '-p', 'nonsense']])('%j asks for the version', (...argv) => {
    expect(parseArguments(argv, CWD)).toEqual({ action: 'version' });
  });

  it('still refuses unknown flags next to --help', () => {
    expect(usageError('--help', '--bogus')).toBe('unrecognized option: --bogus');
  });

  it('lists every flag with its default', () => {
    const text = helpText('ftpkit 9.9.9 ready.');
    expect(text).toMatch(/^usage: ftpd \[options\]/);
    for (const flag of FLAGS) {
      expect(text).toContain(`--${flag.long}`);
      if (flag.short !== undefined) expect(text).toContain(`-${flag.short}, --${flag.long}`);
    }
    const flat = text.replace(/\s+/g, ' ');
    for (const shown of [
      'default: 2121',
      'default: all interfaces',
      'default: the current directory',
      'default: 300',
      'default: 512',
      'default: 0',
      'default: 3',
      'default: ftpkit 9.9.9 ready.',
    ]) {
      expect(flat).toContain(shown);
    }
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(79);
  });
});

describe('parseArguments: errors', () => {
  it.each([
    [['--bogus'], 'unrecognized option: --bogus'],
    [
      ['--read-limit', 'fast'],
      '--read-limit must be bytes per second, optionally with a K (KiB) or M (MiB) suffix, e.g. 65536, 512K or 2M; got "fast"',
    ],
    [
      ['--write-limit', '1G'],
      '--write-limit must be bytes per second, optionally with a K (KiB) or M (MiB) suffix, e.g. 65536, 512K or 2M; got "1G"',
    ],
    [
      ['--user-write-limit=-5'],
      '--user-write-limit must be bytes per second, optionally with a K (KiB) or M (MiB) suffix, e.g. 65536, 512K or 2M; got "-5"',
    ],
    [['-x'], 'unrecognized option: -x'],
    [['--concurrency', 'async'], 'unrecognized option: --concurrency'],
    [['stray'], 'unexpected argument: stray'],
    [['--', 'stray'], 'unexpected argument: stray'],
    [['-p'], '-p/--port: missing PORT'],
    [['--directory'], '-d/--directory: missing PATH'],
    [['--timeout'], '--timeout: missing SECONDS'],
    [['-p', '-w'], "-p/--port: missing PORT (to pass a value starting with '-', write --port=VALUE)"],
    [['--write=yes'], '-w/--write: does not take a value'],
    [['--use-localtime=1'], '--use-localtime: does not take a value'],
    [['-p', 'abc'], '-p/--port: expected an integer, got "abc"'],
    [['-p', '21x'], '-p/--port: expected an integer, got "21x"'],
    [['-p', '-1'], "-p/--port: missing PORT (to pass a value starting with '-', write --port=VALUE)"],
    [['--port=-1'], '-p/--port: expected an integer, got "-1"'],
    [['-p', '1.5'], '-p/--port: expected an integer, got "1.5"'],
    [['-p', '0x15'], '-p/--port: expected an integer, got "0x15"'],
    [['-p', ' 21'], '-p/--port: expected an integer, got " 21"'],
    [['-p', '65536'], '-p/--port: must be in 0..65535, got 65536'],
    [['-p', '99999999999999999999'], '-p/--port: expected an integer, got "99999999999999999999"'],
    [['-i', ''], '-i/--interface: must not be empty'],
    [['-d', ''], '-d/--directory: must not be empty'],
    [['-n', 'example.com'], '-n/--nat-address: expected an IPv4 address, got "example.com"'],
    [['-n', '::1'], '-n/--nat-address: expected an IPv4 address, got "::1"'],
    [['-n', '256.1.1.1'], '-n/--nat-address: expected an IPv4 address, got "256.1.1.1"'],
    [['-r', '6000'], '-r/--range: expected FROM-TO, e.g. 60000-60099, got "6000"'],
    [['-r', 'a-b'], '-r/--range: expected FROM-TO, e.g. 60000-60099, got "a-b"'],
    [['-r', '6000-6000'], '-r/--range: FROM must be lower than TO, got 6000-6000'],
    [['-r', '7000-6000'], '-r/--range: FROM must be lower than TO, got 7000-6000'],
    [['-r', '0-100'], '-r/--range: must be in 1..65535, got 0'],
    [['-r', '100-65536'], '-r/--range: must be in 1..65535, got 65536'],
    [['-u', 'bob'], '-u/--username needs a password: add -P/--password'],
    [['-P', 'secret'], '-P/--password needs a user name: add -u/--username'],
    [['-u', '', '-P', 'x'], '-u/--username: must not be empty'],
    [['-u', 'bob', '-P', ''], '-P/--password: must not be empty'],
    [
      ['--timeout', '-5'],
      "--timeout: missing SECONDS (to pass a value starting with '-', write --timeout=VALUE)",
    ],
    [['--timeout', '1e3'], '--timeout: expected an integer, got "1e3"'],
    [['--timeout', 'forever'], '--timeout: expected an integer, got "forever"'],
    [
      ['--max-cons', '-1'],
      "--max-cons: missing N (to pass a value starting with '-', write --max-cons=VALUE)",
    ],
    [['--max-cons=-1'], '--max-cons: expected an integer, got "-1"'],
    [['--max-cons-per-ip', 'x'], '--max-cons-per-ip: expected an integer, got "x"'],
    [['--max-login-attempts', '0'], '--max-login-attempts: must be >= 1, got 0'],
  ])('%j -> %s', (argv, message) => {
    expect(usageError(...argv)).toBe(message);
  });
});

describe('parseArguments: TLS', () => {
  it('--tls --certfile: explicit TLS, keyfile = certfile, nothing required, reuse required', () => {
    expect(serve('--tls', '--certfile', 'c.pem').tls).toEqual({
      certFile: 'c.pem',
      keyFile: 'c.pem',
      controlRequired: false,
      dataRequired: false,
      implicitPort: undefined,
      sessionReuse: 'require',
    });
  });

  it('takes every TLS flag', () => {
    expect(
      serve(
        '--tls',
        '--certfile=c.pem',
        '--keyfile',
        'k.pem',
        '--tls-control-required',
        '--tls-data-required',
        '--implicit-tls-port',
        '990',
        '--tls-session-reuse',
        'prefer',
      ).tls,
    ).toEqual({
      certFile: 'c.pem',
      keyFile: 'k.pem',
      controlRequired: true,
      dataRequired: true,
      implicitPort: 990,
      sessionReuse: 'prefer',
    });
  });

  it('--implicit-tls-port implies TLS, without --tls', () => {
    expect(serve('--implicit-tls-port', '0', '--certfile', 'c.pem').tls).toMatchObject({
      certFile: 'c.pem',
      implicitPort: 0,
    });
  });

  it.each(SESSION_REUSE_POLICIES)('--tls-session-reuse %s', (policy) => {
    expect(serve('--tls', '--certfile', 'c', '--tls-session-reuse', policy).tls?.sessionReuse).toBe(policy);
  });

  it('-p 0 and --implicit-tls-port 0 may both pick a free port', () => {
    expect(serve('-p', '0', '--implicit-tls-port', '0', '--certfile', 'c').tls?.implicitPort).toBe(0);
  });

  it.each([
    [['--tls'], '--tls needs a certificate: add --certfile PATH'],
    [['--tls', '--keyfile', 'k.pem'], '--tls needs a certificate: add --certfile PATH'],
    [['--implicit-tls-port', '990'], '--implicit-tls-port needs a certificate: add --certfile PATH'],
    [['--certfile', 'c.pem'], '--certfile needs --tls (or --implicit-tls-port)'],
    [['--keyfile', 'k.pem'], '--keyfile needs --tls (or --implicit-tls-port)'],
    [['--tls-control-required'], '--tls-control-required needs --tls (or --implicit-tls-port)'],
    [['--tls-data-required'], '--tls-data-required needs --tls (or --implicit-tls-port)'],
    [['--tls-session-reuse', 'off'], '--tls-session-reuse needs --tls (or --implicit-tls-port)'],
    [['--keyfile', 'k', '--certfile', 'c'], '--certfile needs --tls (or --implicit-tls-port)'],
    [['--tls', '--certfile', ''], '--certfile: must not be empty'],
    [['--tls', '--certfile', 'c', '--keyfile='], '--keyfile: must not be empty'],
    [['--tls', '--certfile'], '--certfile: missing PATH'],
    [['--tls=yes'], '--tls: does not take a value'],
    [
      ['--tls', '--certfile', 'c', '--tls-session-reuse', 'always'],
      '--tls-session-reuse: expected require, prefer or off, got "always"',
    ],
    [
      ['--tls', '--certfile', 'c', '--tls-session-reuse', 'Require'],
      '--tls-session-reuse: expected require, prefer or off, got "Require"',
    ],
    [
      ['--certfile', 'c', '--implicit-tls-port', '65536'],
      '--implicit-tls-port: must be in 0..65535, got 65536',
    ],
    [
      ['--certfile', 'c', '--implicit-tls-port', 'ftps'],
      '--implicit-tls-port: expected an integer, got "ftps"',
    ],
    [
      ['--certfile', 'c', '--implicit-tls-port', '2121'],
      '--implicit-tls-port: must differ from -p/--port, both are 2121',
    ],
    [
      ['-p', '990', '--certfile', 'c', '--implicit-tls-port', '990'],
      '--implicit-tls-port: must differ from -p/--port, both are 990',
    ],
  ])('%j -> %s', (argv, message) => {
    expect(usageError(...argv)).toBe(message);
  });

  it('-h still wins over TLS mistakes', () => {
    expect(parseArguments(['--tls', '-h'], CWD)).toEqual({ action: 'help' });
  });
});

describe('parseArguments: --fs and --encoding errors', () => {
  it('knows local and memory', () => {
    expect(FILESYSTEM_KINDS).toEqual(['local', 'memory']);
  });

  it.each([
    [['--fs', 'disk'], '--fs: expected local or memory, got "disk"'],
    [['--fs', 'Memory'], '--fs: expected local or memory, got "Memory"'],
    [['--fs'], '--fs: missing KIND'],
    [
      ['--fs', 'memory', '-d', '/srv'],
      '-d/--directory cannot be used with --fs memory: the memory tree has no directory',
    ],
    [
      ['-d', '/srv', '--fs', 'memory'],
      '-d/--directory cannot be used with --fs memory: the memory tree has no directory',
    ],
    [['--encoding', 'klingon'], '--encoding: unknown encoding "klingon"'],
    [['--encoding', 'utf_8'], '--encoding: unknown encoding "utf_8"'],
    [['--encoding', ''], '--encoding: must not be empty'],
    [['--encoding'], '--encoding: missing ENCODING'],
  ])('%j -> %s', (argv, message) => {
    expect(usageError(...argv)).toBe(message);
  });
});

describe('help text of the new flags', () => {
  const flat = helpText('ftpkit 9.9.9 ready.').replace(/\s+/g, ' ');

  it('documents the TLS flags, their dependencies and defaults', () => {
    for (const shown of [
      '--tls ',
      '--certfile PATH',
      '--keyfile PATH',
      '--tls-control-required',
      '--tls-data-required',
      '--implicit-tls-port PORT',
      '--tls-session-reuse POLICY',
      'implies --tls',
      'needs --certfile',
      '(default: the certfile)',
      '(default: require)',
    ]) {
      expect(flat).toContain(shown);
    }
  });

  it("--tls-session-reuse tells that stock ftplib FTP_TLS and curl's passive CCC mode need prefer", () => {
    const line = FLAGS.find((flag) => flag.long === 'tls-session-reuse')!.help;
    expect(line).toContain('require, prefer');
    expect(line).toMatch(/Python's stock ftplib FTP_TLS and curl's passive CCC mode .* need prefer/);
  });

  it('documents --fs and --encoding with their defaults', () => {
    expect(flat).toContain('--fs KIND');
    expect(flat).toContain('(default: local)');
    expect(flat).toContain('-d is then refused');
    expect(flat).toContain('--encoding ENCODING');
    expect(flat).toContain('(default: utf8)');
  });
});
