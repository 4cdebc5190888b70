/**
 * The command line of `ftpd`: pyftpdlib 2.x's flags and defaults (`python -m pyftpdlib`), parsed with
 * `node:util`'s strict `parseArgs` and validated into a {@link FtpdConfig}.
 */

import { parseArgs } from 'node:util';
import type { SessionReusePolicy } from '@ftpkit/tls';
import { UsageError } from './errors.js';
import { FLAGS, type FlagSpec } from './flags.js';
import {
  type PortRange,
  parseChoice,
  parseEncoding,
  parseInteger,
  parseIPv4,
  parseNonEmpty,
  parsePort,
  parsePortRange,
  parseRateFlag,
} from './values.js';

export { UsageError } from './errors.js';
export type { PortRange } from './values.js';

/** pyftpdlib's read-only permission letters, given without `-w`. */
export const READ_ONLY_PERM = 'elr';
/** pyftpdlib's full permission letters, given with `-w`. */
export const WRITE_PERM = 'elradfmwMT';

/** `--fs`: what the session's filesystem is. */
export type FilesystemKind = 'local' | 'memory';

/** The values of `--fs`. */
export const FILESYSTEM_KINDS: readonly FilesystemKind[] = ['local', 'memory'];

/** The values of `--tls-session-reuse` (`@ftpkit/tls`'s `sessionReuse`). */
export const SESSION_REUSE_POLICIES: readonly SessionReusePolicy[] = ['require', 'prefer', 'off'];

/** FTPS, asked for by `--tls` or `--implicit-tls-port`. */
export interface TlsConfig {
  /** `--certfile`: the PEM certificate (as given, not yet resolved). Required. */
  readonly certFile: string;
  /** `--keyfile`: the PEM private key (as given). Default: {@link certFile}. */
  readonly keyFile: string;
  /** `--tls-control-required`: refuse USER/PASS before AUTH TLS. Default false. */
  readonly controlRequired: boolean;
  /** `--tls-data-required`: refuse PASV/EPSV/PORT/EPRT before PROT P. Default false. */
  readonly dataRequired: boolean;
  /** `--implicit-tls-port`: the port of the additional implicit-FTPS listener; 0 picks a free one. */
  readonly implicitPort: number | undefined;
  /** `--tls-session-reuse`: must protected data connections resume the control TLS session. */
  readonly sessionReuse: SessionReusePolicy;
}

/** The named user of `-u USERNAME -P PASSWORD`. */
export interface NamedUser {
  /** The login name. */
  readonly name: string;
  /** Its password, compared exactly. */
  readonly password: string;
}

/** What `ftpd` was asked to do when it is to run a server: every setting, defaults applied. */
export interface ServeConfig {
  readonly action: 'serve';
  /** `-i`: the address or host name to listen on; undefined listens on all interfaces. */
  readonly interface: string | undefined;
  /** `-p`: the control port; 0 picks a free one. Default 2121. */
  readonly port: number;
  /** `-w`: the user may write. Default false (read-only). */
  readonly write: boolean;
  /** The permission letters that follow from {@link write}: `elr` or `elradfmwMT`. */
  readonly perm: string;
  /** `--fs`: `local` (the {@link directory}) or `memory` (an empty in-memory tree). Default `local`. */
  readonly fs: FilesystemKind;
  /**
   * `-d`: the shared directory as given (not yet resolved). Default `process.cwd()`; undefined with
   * `--fs memory` (where `-d` is refused).
   */
  readonly directory: string | undefined;
  /** `-n`: the IPv4 address announced in 227 replies. Default none. */
  readonly natAddress: string | undefined;
  /** `-r`: the passive port range. Default none (kernel-chosen ports). */
  readonly passivePorts: PortRange | undefined;
  /** `-D`: log at debug level. Default false (info). */
  readonly debug: boolean;
  /** `-u`/`-P`: the one named user, who replaces anonymous. Default none (anonymous). */
  readonly user: NamedUser | undefined;
  /** `--timeout`: control idle and data stall timeout, in seconds; 0 disables. Default 300. */
  readonly timeout: number;
  /** `--banner`: the 220 text. Default undefined (core's `ftpkit <version> ready.`). */
  readonly banner: string | undefined;
  /** `--max-cons`: total connection limit; 0 is unlimited. Default 512. */
  readonly maxCons: number;
  /** `--max-cons-per-ip`: control connections per IP; 0 is unlimited. Default 0. */
  readonly maxConsPerIp: number;
  /** `--max-login-attempts`: failed logins before disconnecting, >= 1. Default 3. */
  readonly maxLoginAttempts: number;
  /** `--permit-foreign-addresses`: allow FXP. Default false. */
  readonly permitForeignAddresses: boolean;
  /** `--permit-privileged-ports`: allow PORT/EPRT to ports < 1024. Default false. */
  readonly permitPrivilegedPorts: boolean;
  /** `--use-localtime`: times in local time instead of UTC. Default false. */
  readonly useLocaltime: boolean;
  /** `--disable-sendfile`: never send files with sendfile(2). Default false (sendfile on Linux). */
  readonly disableSendfile: boolean;
  /**
   * `--disable-direct-receive`: always stream uploads into files, never with `recv(2)` and synchronous
   * writes. Default false (direct on Linux).
   */
  readonly disableDirectReceive: boolean;
  /**
   * `--disable-memory-release`: never give memory back when the server goes quiet
   * (`releaseMemoryWhenIdle: false`). Default false (released).
   */
  readonly disableMemoryRelease: boolean;
  /** `--encoding`: the control connection's character set, a `TextDecoder` label. Default `utf8`. */
  readonly encoding: string;
  /** `--read-limit` / `--write-limit`: server-wide bandwidth limits in bytes/s; 0 = unlimited. */
  readonly readLimit: number;
  readonly writeLimit: number;
  /** `--user-read-limit` / `--user-write-limit`: the served user's limits in bytes/s; 0 = unlimited. */
  readonly userReadLimit: number;
  readonly userWriteLimit: number;
  /** `--tls` and the other TLS flags; undefined without `--tls` and `--implicit-tls-port`. */
  readonly tls: TlsConfig | undefined;
}

/** `ftpd -h` or `ftpd -v`: print the help or the version and exit 0. */
export type InfoRequest = { readonly action: 'help' } | { readonly action: 'version' };

/** The result of {@link parseArguments}. */
export type FtpdConfig = ServeConfig | InfoRequest;

type ParseArgsOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const PARSE_OPTIONS: ParseArgsOptions = Object.fromEntries(
  FLAGS.map((flag) => [
    flag.long,
    {
      type: flag.metavar === undefined ? ('boolean' as const) : ('string' as const),
      ...(flag.short === undefined ? {} : { short: flag.short }),
    },
  ]),
);

/** `-p/--port` or `--timeout`: how error messages name a flag. */
function displayName(flag: FlagSpec): string {
  return flag.short === undefined ? `--${flag.long}` : `-${flag.short}/--${flag.long}`;
}

function flagNamed(long: string): FlagSpec {
  const flag = FLAGS.find((candidate) => candidate.long === long);
  if (flag === undefined) throw new Error(`no flag --${long}`);
  return flag;
}

/** The flag that a `parseArgs` message such as `Option '-p, --port <value>' argument missing` is about. */
function flagInMessage(message: string): FlagSpec | undefined {
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const words = quoted.split(/[\s,]+/);
  return FLAGS.find(
    (flag) =>
      words.includes(`--${flag.long}`) || (flag.short !== undefined && words.includes(`-${flag.short}`)),
  );
}

/** Turns `parseArgs`' (sometimes multi-line) errors into one-line {@link UsageError}s. */
function translateParseError(error: unknown): UsageError {
  if (!(error instanceof Error)) return new UsageError(String(error));
  const code = (error as NodeJS.ErrnoException).code;
  const quoted = /'([^']*)'/.exec(error.message)?.[1];
  const flag = flagInMessage(error.message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unrecognized option: ${quoted}`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(`unexpected argument: ${quoted}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    const name = displayName(flag);
    if (flag.metavar === undefined) return new UsageError(`${name}: does not take a value`);
    if (error.message.includes('ambiguous')) {
      return new UsageError(
        `${name}: missing ${flag.metavar} (to pass a value starting with '-', write --${flag.long}=VALUE)`,
      );
    }
    return new UsageError(`${name}: missing ${flag.metavar}`);
  }
  return new UsageError(error.message.split('\n')[0] ?? 'invalid arguments');
}

type RawValues = Record<string, string | boolean | undefined>;

function stringValue(values: RawValues, long: string): string | undefined {
  const value = values[long];
  return typeof value === 'string' ? value : undefined;
}

/** Applies `parse` to a flag's value when the flag was given. */
function optional<T>(
  values: RawValues,
  long: string,
  parse: (flag: string, text: string) => T,
): T | undefined {
  const text = stringValue(values, long);
  return text === undefined ? undefined : parse(displayName(flagNamed(long)), text);
}

function integer(values: RawValues, long: string, fallback: number, min: number): number {
  return optional(values, long, (flag, text) => parseInteger(flag, text, min)) ?? fallback;
}

function namedUser(values: RawValues): NamedUser | undefined {
  const name = optional(values, 'username', parseNonEmpty);
  const password = optional(values, 'password', parseNonEmpty);
  if (name !== undefined && password === undefined) {
    throw new UsageError('-u/--username needs a password: add -P/--password');
  }
  if (name === undefined && password !== undefined) {
    throw new UsageError('-P/--password needs a user name: add -u/--username');
  }
  return name === undefined || password === undefined ? undefined : { name, password };
}

/** `--fs` and `-d`: `-d` makes no sense for a memory tree, so it is refused rather than ignored. */
function filesystem(values: RawValues, cwd: string): { fs: FilesystemKind; directory: string | undefined } {
  const fs = optional(values, 'fs', (flag, text) => parseChoice(flag, text, FILESYSTEM_KINDS)) ?? 'local';
  const directory = optional(values, 'directory', parseNonEmpty);
  if (fs === 'memory') {
    if (directory !== undefined) {
      throw new UsageError(
        '-d/--directory cannot be used with --fs memory: the memory tree has no directory',
      );
    }
    return { fs, directory: undefined };
  }
  return { fs, directory: directory ?? cwd };
}

/** The flags that only make sense with TLS on, in the order errors name them. */
const TLS_ONLY_FLAGS = [
  'certfile',
  'keyfile',
  'tls-control-required',
  'tls-data-required',
  'tls-session-reuse',
] as const;

/**
 * `--tls`, `--implicit-tls-port` and the flags that depend on them, as pyftpdlib checks them: TLS needs
 * `--certfile`, and the certificate and TLS options need TLS.
 */
function tlsConfig(values: RawValues, port: number): TlsConfig | undefined {
  const implicitPort = optional(values, 'implicit-tls-port', parsePort);
  const explicit = values['tls'] === true;
  if (!explicit && implicitPort === undefined) {
    const stray = TLS_ONLY_FLAGS.find((long) => values[long] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --tls (or --implicit-tls-port)`);
    return undefined;
  }
  const certFile = optional(values, 'certfile', parseNonEmpty);
  if (certFile === undefined) {
    throw new UsageError(
      `${explicit ? '--tls' : '--implicit-tls-port'} needs a certificate: add --certfile PATH`,
    );
  }
  if (implicitPort !== undefined && implicitPort !== 0 && implicitPort === port) {
    throw new UsageError(`--implicit-tls-port: must differ from -p/--port, both are ${port}`);
  }
  return {
    certFile,
    keyFile: optional(values, 'keyfile', parseNonEmpty) ?? certFile,
    controlRequired: values['tls-control-required'] === true,
    dataRequired: values['tls-data-required'] === true,
    implicitPort,
    sessionReuse:
      optional(values, 'tls-session-reuse', (flag, text) =>
        parseChoice(flag, text, SESSION_REUSE_POLICIES),
      ) ?? 'require',
  };
}

/**
 * Parses `ftpd`'s arguments (without the node and script paths).
 *
 * `-h` wins over everything but a syntax error, then `-v`; otherwise every value is validated and the
 * defaults filled in. When a flag is repeated, the last one counts.
 *
 * @param argv - e.g. `process.argv.slice(2)`.
 * @param cwd - the default of `-d`; `process.cwd()` unless given.
 * @throws UsageError with a one-line message for an unknown flag, a missing or bad value, a stray
 *   positional argument, `-u` without `-P` (and the reverse), `-d` with `--fs memory`, an encoding
 *   `TextDecoder` does not know, `--tls`/`--implicit-tls-port` without `--certfile`, or a TLS flag
 *   (`--certfile`, `--keyfile`, `--tls-*`) without `--tls`/`--implicit-tls-port`.
 */
export function parseArguments(argv: readonly string[], cwd: string = process.cwd()): FtpdConfig {
  let values: RawValues;
  try {
    values = parseArgs({ args: [...argv], options: PARSE_OPTIONS, strict: true, allowPositionals: false })
      .values as RawValues;
  } catch (error) {
    throw translateParseError(error);
  }
  if (values['help'] === true) return { action: 'help' };
  if (values['version'] === true) return { action: 'version' };
  const write = values['write'] === true;
  const port = optional(values, 'port', parsePort) ?? 2121;
  return {
    action: 'serve',
    interface: optional(values, 'interface', parseNonEmpty),
    port,
    write,
    perm: write ? WRITE_PERM : READ_ONLY_PERM,
    ...filesystem(values, cwd),
    natAddress: optional(values, 'nat-address', parseIPv4),
    passivePorts: optional(values, 'range', parsePortRange),
    debug: values['debug'] === true,
    user: namedUser(values),
    timeout: integer(values, 'timeout', 300, 0),
    banner: stringValue(values, 'banner'),
    maxCons: integer(values, 'max-cons', 512, 0),
    maxConsPerIp: integer(values, 'max-cons-per-ip', 0, 0),
    maxLoginAttempts: integer(values, 'max-login-attempts', 3, 1),
    permitForeignAddresses: values['permit-foreign-addresses'] === true,
    permitPrivilegedPorts: values['permit-privileged-ports'] === true,
    useLocaltime: values['use-localtime'] === true,
    disableSendfile: values['disable-sendfile'] === true,
    disableDirectReceive: values['disable-direct-receive'] === true,
    disableMemoryRelease: values['disable-memory-release'] === true,
    encoding: optional(values, 'encoding', parseEncoding) ?? 'utf8',
    readLimit: optional(values, 'read-limit', parseRateFlag) ?? 0,
    writeLimit: optional(values, 'write-limit', parseRateFlag) ?? 0,
    userReadLimit: optional(values, 'user-read-limit', parseRateFlag) ?? 0,
    userWriteLimit: optional(values, 'user-write-limit', parseRateFlag) ?? 0,
    tls: tlsConfig(values, port),
  };
}
