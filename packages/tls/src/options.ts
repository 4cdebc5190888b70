import type { SecureContextOptions, SecureVersion } from 'node:tls';

/**
 * What a data connection must do about TLS session resumption when `PROT P` is in force:
 * - `require`: it must resume the TLS session of its own control connection, or it is refused with a
 *   `522` that says so (vsftpd's `require_ssl_reuse`; proves the data connection comes from the client
 *   that logged in, and is what FileZilla expects);
 * - `prefer`: a data connection that does not resume is accepted and a warning is logged (stock Python
 *   `ftplib.FTP_TLS` and some rclone transfers do not resume);
 * - `off`: resumption is not checked.
 */
export type SessionReusePolicy = 'require' | 'prefer' | 'off';

/** The options of {@link createTlsPlugin}. Names are pyftpdlib's `TLS_FTPHandler` attributes in camelCase. */
export interface TlsOptions {
  /**
   * PEM file holding the server certificate (and its chain, and the key when {@link keyFile} is not
   * given). Required unless {@link secureContext} holds the certificate (`cert` or `pfx`). Read at
   * construction and again by `reloadCertificates()`.
   */
  certFile?: string;
  /** PEM file holding the private key. Default: {@link certFile} (unless `secureContext` has a key). */
  keyFile?: string;
  /** Passphrase of an encrypted private key (or of `pfx`). */
  passphrase?: string;
  /**
   * TLS settings as `tls.createSecureContext()` takes them (`cert`, `key`, `pfx`, `ca`, `ciphers`,
   * `sigalgs`, `ecdhCurve`, `dhparam`, `secureOptions`, ...), for certificates held in memory or settings
   * this type has no option for. Files given by {@link certFile}, {@link keyFile} and {@link caFile}
   * take precedence over the same members here. A prebuilt `tls.SecureContext` cannot be accepted:
   * every FTP session gets its own context (its own session-ticket keys) built from these options, which
   * is what ties a data connection's TLS session to its control connection.
   */
  secureContext?: SecureContextOptions;
  /** PEM file of the CAs that sign client certificates (for {@link requestCert}). Reloaded with the rest. */
  caFile?: string;
  /** CAs that sign client certificates, in PEM (for {@link requestCert}); {@link caFile} wins. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Ask clients for a certificate on the control and data connections. Default false. */
  requestCert?: boolean;
  /**
   * With {@link requestCert}: refuse a client whose certificate is missing or not signed by one of
   * {@link ca}. Default true (Node's default).
   */
  rejectUnauthorized?: boolean;
  /** The oldest TLS version accepted. Default `'TLSv1.2'` (RFC 8996 retired 1.0 and 1.1). */
  minVersion?: SecureVersion;
  /** The newest TLS version offered. Default: Node's (`'TLSv1.3'`). */
  maxVersion?: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 and older (and TLS 1.3 suites); default: Node's. */
  ciphers?: string;
  /**
   * Refuse USER and PASS on a control connection that is not protected:
   * `550 SSL/TLS required on the control channel.` Default false (pyftpdlib's `tls_control_required`).
   */
  tlsControlRequired?: boolean;
  /**
   * Refuse PASV, EPSV, PORT and EPRT until `PROT P`: `550 SSL/TLS required on the data channel.`
   * Default false (pyftpdlib's `tls_data_required`).
   */
  tlsDataRequired?: boolean;
  /** Session-resumption policy for protected data connections. Default `'require'`. */
  sessionReuse?: SessionReusePolicy;
}

/** {@link TlsOptions} checked, with defaults applied. */
export interface ResolvedTlsOptions {
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly caFile: string | undefined;
  readonly passphrase: string | undefined;
  readonly secureContext: Readonly<SecureContextOptions>;
  readonly ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion | undefined;
  readonly ciphers: string | undefined;
  readonly tlsControlRequired: boolean;
  readonly tlsDataRequired: boolean;
  readonly sessionReuse: SessionReusePolicy;
}

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const POLICIES: readonly SessionReusePolicy[] = ['require', 'prefer', 'off'];

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${String(value)}`);
  return value;
}

function version(name: string, value: unknown): SecureVersion | undefined {
  if (value === undefined) return undefined;
  if (!VERSIONS.includes(value as SecureVersion)) {
    throw new TypeError(`${name} must be one of ${VERSIONS.join(', ')}, got ${String(value)}`);
  }
  return value as SecureVersion;
}

/**
 * Checks {@link TlsOptions} and applies the defaults. Throws `Error('at least certFile must be
 * specified')` when no certificate is given at all, and a TypeError naming the first malformed option.
 * (Whether the files can be read and hold a usable certificate is checked by the certificate store.)
 */
export function resolveTlsOptions(options: TlsOptions): ResolvedTlsOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('TLS options must be an object');
  const secureContext = options.secureContext ?? {};
  if (typeof secureContext !== 'object' || secureContext === null) {
    throw new TypeError('secureContext must be an object of tls.createSecureContext() options');
  }
  if ('context' in secureContext) {
    throw new TypeError(
      'secureContext must hold tls.createSecureContext() options, not a tls.SecureContext: ' +
        'each FTP session builds its own context from them',
    );
  }
  const certFile = optionalString('certFile', options.certFile);
  const hasInlineCert = secureContext.cert !== undefined || secureContext.pfx !== undefined;
  const hasInlineKey = secureContext.key !== undefined || secureContext.pfx !== undefined;
  if (certFile === undefined && !hasInlineCert) throw new Error('at least certFile must be specified');
  const sessionReuse = options.sessionReuse ?? 'require';
  if (!POLICIES.includes(sessionReuse)) {
    throw new TypeError(`sessionReuse must be one of ${POLICIES.join(', ')}, got ${String(sessionReuse)}`);
  }
  const minVersion = version('minVersion', options.minVersion) ?? 'TLSv1.2';
  const maxVersion = version('maxVersion', options.maxVersion);
  if (maxVersion !== undefined && VERSIONS.indexOf(maxVersion) < VERSIONS.indexOf(minVersion)) {
    throw new TypeError(`maxVersion ${maxVersion} is older than minVersion ${minVersion}`);
  }
  return {
    certFile,
    keyFile: optionalString('keyFile', options.keyFile) ?? (hasInlineKey ? undefined : certFile),
    caFile: optionalString('caFile', options.caFile),
    passphrase: options.passphrase,
    secureContext,
    ca: options.ca,
    requestCert: flag('requestCert', options.requestCert, false),
    rejectUnauthorized: flag('rejectUnauthorized', options.rejectUnauthorized, true),
    minVersion,
    maxVersion,
    ciphers: optionalString('ciphers', options.ciphers),
    tlsControlRequired: flag('tlsControlRequired', options.tlsControlRequired, false),
    tlsDataRequired: flag('tlsDataRequired', options.tlsDataRequired, false),
    sessionReuse,
  };
}
