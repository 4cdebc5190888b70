/**
 * The table of `ftpd` flags: the single source of both the `parseArgs` configuration and the help text,
 * so the two cannot drift apart.
 */

/** One command-line flag. */
export interface FlagSpec {
  /** The long name without dashes, e.g. `port`. Also the key in `parseArgs`' result. */
  readonly long: string;
  /** The one-letter short name, e.g. `p`. */
  readonly short?: string;
  /** The placeholder shown in the help for a flag that takes a value; absent for switches. */
  readonly metavar?: string;
  /** What the flag does, one sentence. */
  readonly help: string;
  /** The default as shown in the help, when there is one worth showing. */
  readonly default?: string;
}

/** Every flag `ftpd` accepts, in the order the help lists them (pyftpdlib 2.x's names and defaults). */
export const FLAGS: readonly FlagSpec[] = [
  { long: 'help', short: 'h', help: 'show this help message and exit' },
  { long: 'version', short: 'v', help: 'print the ftpd version and exit' },
  {
    long: 'interface',
    short: 'i',
    metavar: 'ADDRESS',
    help: 'the interface (address or host name) to listen on',
    default: 'all interfaces',
  },
  {
    long: 'port',
    short: 'p',
    metavar: 'PORT',
    help: 'the port to listen on, 0..65535; 0 picks a free port',
    default: '2121',
  },
  {
    long: 'write',
    short: 'w',
    help: 'grant write access (perm elradfmwMT instead of elr) to the user',
    default: 'read-only',
  },
  {
    long: 'directory',
    short: 'd',
    metavar: 'PATH',
    help: 'the directory to share',
    default: 'the current directory',
  },
  {
    long: 'fs',
    metavar: 'KIND',
    help:
      'what to serve: local (the -d directory) or memory (an empty in-memory tree, lost at exit, nothing ' +
      'written to disk; -d is then refused; add -w to upload)',
    default: 'local',
  },
  {
    long: 'nat-address',
    short: 'n',
    metavar: 'ADDRESS',
    help: 'the IPv4 address announced in passive-mode replies (server behind NAT)',
    default: 'none',
  },
  {
    long: 'range',
    short: 'r',
    metavar: 'FROM-TO',
    help: 'the TCP ports used for passive connections, inclusive, e.g. 60000-60099',
    default: 'any free port',
  },
  { long: 'debug', short: 'D', help: 'log at DEBUG level (every command and reply)', default: 'INFO' },
  {
    long: 'username',
    short: 'u',
    metavar: 'USERNAME',
    help: 'log in with this user name instead of anonymous (anonymous is then refused); needs -P',
    default: 'anonymous',
  },
  { long: 'password', short: 'P', metavar: 'PASSWORD', help: 'the password of -u USERNAME; needs -u' },
  {
    long: 'timeout',
    metavar: 'SECONDS',
    help: 'idle timeout of the control connection and stall timeout of data transfers; 0 disables',
    default: '300',
  },
  {
    long: 'banner',
    metavar: 'TEXT',
    help: 'the 220 greeting sent to clients',
    default: 'ftpkit <version> ready.',
  },
  {
    long: 'max-cons',
    metavar: 'N',
    help: 'maximum simultaneous connections (control and data); 0 means unlimited',
    default: '512',
  },
  {
    long: 'max-cons-per-ip',
    metavar: 'N',
    help: 'maximum control connections from one IP address; 0 means unlimited',
    default: '0',
  },
  {
    long: 'max-login-attempts',
    metavar: 'N',
    help: 'failed logins before the connection is closed, at least 1',
    default: '3',
  },
  {
    long: 'permit-foreign-addresses',
    help: 'allow data connections with another host than the client (FXP)',
    default: 'refused',
  },
  { long: 'permit-privileged-ports', help: 'allow PORT/EPRT to ports below 1024', default: 'refused' },
  {
    long: 'use-localtime',
    help: "show times in the server's local time zone instead of UTC (LIST, MLSD, MDTM)",
    default: 'UTC',
  },
  {
    long: 'disable-sendfile',
    help: 'send files by reading them (streams) instead of with the zero-copy sendfile(2) system call',
    default: 'sendfile on Linux',
  },
  {
    long: 'disable-direct-receive',
    help:
      'receive uploads through streams instead of reading the data connection with recv(2) straight ' +
      'into the file',
    default: 'direct on Linux',
  },
  {
    long: 'disable-memory-release',
    help:
      'keep the memory a burst of work grew instead of giving it back to the system (a garbage ' +
      'collection and malloc_trim) once the server is quiet',
    default: 'released when idle',
  },
  {
    long: 'encoding',
    metavar: 'ENCODING',
    help:
      'character set of commands, replies and file names, any WHATWG label (utf8, latin1, cp1252, gbk, ' +
      'shift_jis, ...)',
    default: 'utf8',
  },
  {
    long: 'read-limit',
    metavar: 'RATE',
    help: 'server-wide upload limit shared by everyone, bytes/s (K and M suffixes mean 1024 and 1024²)',
    default: 'unlimited',
  },
  {
    long: 'write-limit',
    metavar: 'RATE',
    help: 'server-wide download limit shared by everyone, bytes/s (K and M suffixes)',
    default: 'unlimited',
  },
  {
    long: 'user-read-limit',
    metavar: 'RATE',
    help: "upload limit of the served user (-u, or anonymous), shared by that user's sessions",
    default: 'unlimited',
  },
  {
    long: 'user-write-limit',
    metavar: 'RATE',
    help: "download limit of the served user (-u, or anonymous), shared by that user's sessions",
    default: 'unlimited',
  },
  {
    long: 'tls',
    help: 'offer explicit FTPS (AUTH TLS) on the control port; needs --certfile',
    default: 'off',
  },
  {
    long: 'certfile',
    metavar: 'PATH',
    help: 'PEM file with the TLS certificate (and chain, and the key unless --keyfile); needs --tls',
  },
  {
    long: 'keyfile',
    metavar: 'PATH',
    help: 'PEM file with the private key of --certfile; needs --tls',
    default: 'the certfile',
  },
  {
    long: 'tls-control-required',
    help: 'refuse USER and PASS before AUTH TLS; needs --tls',
    default: 'off',
  },
  {
    long: 'tls-data-required',
    help: 'refuse data connections (PASV, EPSV, PORT, EPRT) until PROT P; needs --tls',
    default: 'off',
  },
  {
    long: 'implicit-tls-port',
    metavar: 'PORT',
    help:
      'also listen for implicit FTPS (TLS from the first byte, ftps:// URLs) on this port, 0..65535 ' +
      '(990 is the usual one); implies --tls',
    default: 'none',
  },
  {
    long: 'tls-session-reuse',
    metavar: 'POLICY',
    help:
      "whether a protected data connection must resume its control connection's TLS session: " +
      "require, prefer (accept it with a warning) or off; Python's stock ftplib FTP_TLS and " +
      "curl's passive CCC mode (--ftp-ssl-ccc) need prefer; needs --tls",
    default: 'require',
  },
];

/** `-p, --port PORT` */
function flagLabel(flag: FlagSpec): string {
  const names = flag.short === undefined ? `    --${flag.long}` : `-${flag.short}, --${flag.long}`;
  return flag.metavar === undefined ? names : `${names} ${flag.metavar}`;
}

/** Splits `text` into lines of at most `width` characters, breaking at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length === 0 ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

/** Lines of the help are kept within this many columns, as argparse does on a terminal of 80. */
const HELP_WIDTH = 79;

/** The text printed by `ftpd --help`: usage, a description and every flag with its default. */
export function helpText(defaultBanner: string): string {
  const labels = FLAGS.map(flagLabel);
  const width = Math.max(...labels.map((label) => label.length)) + 4;
  const lines = FLAGS.flatMap((flag, index) => {
    const shown = flag.long === 'banner' ? defaultBanner : flag.default;
    const text = shown === undefined ? flag.help : `${flag.help} (default: ${shown})`;
    const [first = '', ...rest] = wrap(text, HELP_WIDTH - width);
    return [`  ${labels[index]!.padEnd(width - 2)}${first}`, ...rest.map((more) => ' '.repeat(width) + more)];
  });
  return [
    'usage: ftpd [options]',
    '',
    'Share a directory over FTP. By default anyone may log in as anonymous and only',
    'read (list and download); -w grants write access, -u/-P replace anonymous by',
    'one named user.',
    '',
    'options:',
    ...lines,
    '',
    'examples:',
    '  ftpd                                 share the current directory on port 2121',
    '  ftpd -w -d /srv/ftp -p 21 -i 0.0.0.0 writable anonymous share on port 21',
    '  ftpd -u alice -P s3cret -w -r 60000-60099 -n 203.0.113.7',
    '                                       one writable user, behind NAT',
    '  ftpd --tls --certfile cert.pem --keyfile key.pem --tls-control-required',
    '                                       FTPS; kill -HUP reloads the certificate',
    '  ftpd --fs memory -w                  a scratch in-memory tree, no disk writes',
    '',
  ].join('\n');
}
