import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { CommandDefinition, CommandInfo, FtpPlugin, FtpServer, Refusal, Session } from '@ftpkit/core';
import { CertificateStore } from './certificates.js';
import { createTlsCommands } from './commands.js';
import { secureDataSocket } from './data.js';
import { TlsEndpoint } from './endpoint.js';
import { ImplicitTlsListener } from './implicit.js';
import { type ResolvedTlsOptions, resolveTlsOptions, type TlsOptions } from './options.js';
import {
  type ControlSecurity,
  describeError,
  initialState,
  PLUGIN_NAME,
  type ProtectionLevel,
  tlsState,
} from './state.js';

/** The conventional port of implicit FTPS. */
export const IMPLICIT_FTPS_PORT = 990;

/** The FEAT lines of FTPS (RFC 4217 §6, as pyftpdlib lists them). */
const FEATURES = ['AUTH SSL', 'AUTH TLS', 'PBSZ', 'PROT'] as const;

const CONTROL_COMMANDS = new Set(['USER', 'PASS']);
const DATA_COMMANDS = new Set(['PASV', 'EPSV', 'PORT', 'EPRT']);

/** What {@link TlsPlugin.tlsInfo} tells about a session. */
export interface TlsSessionInfo {
  /** The control connection: `plain`, `tls`, or `cleared` (by CCC). */
  readonly control: ControlSecurity;
  /** True for a session accepted on the implicit-TLS listener. */
  readonly implicit: boolean;
  /** True once PBSZ was accepted (since the last REIN). */
  readonly pbsz: boolean;
  /** Data protection: `C` (clear) or `P` (TLS). */
  readonly protection: ProtectionLevel;
  /** The control connection's TLS version (`TLSv1.3`, ...) while it is secure. */
  readonly protocol: string | undefined;
  /** The control connection's cipher suite while it is secure. */
  readonly cipher: string | undefined;
  /** With `requestCert`: whether the client certificate was verified against `ca`. */
  readonly clientAuthorized: boolean | undefined;
}

/** The FTPS plugin: an {@link FtpPlugin} plus the implicit-TLS listener and certificate reloading. */
export interface TlsPlugin extends FtpPlugin {
  /** The options in force (defaults applied). */
  readonly options: ResolvedTlsOptions;
  /**
   * Opens an implicit-FTPS listener for `server` (which must have this plugin in its `plugins`): TLS
   * starts at connect, and each connection whose handshake succeeds becomes an ordinary session of
   * `server`, already secure (PBSZ/PROT allowed, data protection `P` by default, AUTH refused with
   * `503 Already using TLS.`). A handshake that fails or does not finish within the server's control
   * idle timeout (`timeout`) is dropped without a reply. The listener belongs to `server` from then on:
   * `server.close()` and `server.closeAll()` close it too (and cut handshakes in progress).
   *
   * @param options - where to listen, as for `net.Server.listen()`; the default port is 990.
   * @returns the bound address.
   */
  listenImplicit(server: FtpServer, options?: ListenOptions): Promise<AddressInfo>;
  /**
   * Re-reads `certFile`, `keyFile` and `caFile`. Connections made afterwards use the new certificate;
   * sessions already connected keep theirs (their data connections still resume their TLS sessions).
   * Throws, leaving the previous certificate in force, when the files cannot be read or do not hold a
   * usable certificate and key.
   */
  reloadCertificates(): void;
  /** The TLS state of a session of a server using this plugin. */
  tlsInfo(session: Session): TlsSessionInfo;
}

class FtpsPlugin implements TlsPlugin {
  readonly name = PLUGIN_NAME;
  readonly options: ResolvedTlsOptions;
  readonly commands: readonly CommandDefinition[];
  private readonly certificates: CertificateStore;
  /** Endpoints of implicit-TLS connections, until their session starts. */
  private readonly implicitEndpoints = new WeakMap<Socket, TlsEndpoint>();

  constructor(options: TlsOptions) {
    this.options = resolveTlsOptions(options);
    this.certificates = new CertificateStore(this.options);
    this.commands = createTlsCommands({ newEndpoint: () => this.newEndpoint() });
  }

  private newEndpoint(): TlsEndpoint {
    return new TlsEndpoint(this.certificates.contextOptions, {
      requestCert: this.options.requestCert,
      rejectUnauthorized: this.options.rejectUnauthorized,
    });
  }

  features(): readonly string[] {
    return FEATURES;
  }

  sessionStarted(session: Session): void {
    const socket = session.tcpSocket;
    const endpoint = this.implicitEndpoints.get(socket);
    this.implicitEndpoints.delete(socket);
    const implicit = endpoint === undefined ? undefined : { endpoint, socket: socket as TLSSocket };
    session.pluginState.set(PLUGIN_NAME, initialState(implicit));
  }

  accountFlushed(session: Session): void {
    const state = tlsState(session);
    state.pbsz = false;
    state.protection = state.implicit ? 'P' : 'C';
  }

  beforeCommand(session: Session, command: CommandInfo): Refusal | undefined {
    const state = tlsState(session);
    if (this.options.tlsControlRequired && state.control !== 'tls' && CONTROL_COMMANDS.has(command.name)) {
      return { code: 550, text: 'SSL/TLS required on the control channel.' };
    }
    if (this.options.tlsDataRequired && state.protection !== 'P' && DATA_COMMANDS.has(command.name)) {
      return { code: 550, text: 'SSL/TLS required on the data channel.' };
    }
    return undefined;
  }

  async wrapDataSocket(socket: Duplex, session: Session): Promise<Duplex> {
    const state = tlsState(session);
    if (state.protection !== 'P') return socket;
    return secureDataSocket(socket, session, state, this.options.sessionReuse);
  }

  reloadCertificates(): void {
    this.certificates.reload();
  }

  tlsInfo(session: Session): TlsSessionInfo {
    const state = tlsState(session);
    const secure = state.control === 'tls' ? state.tlsSocket : undefined;
    return {
      control: state.control,
      implicit: state.implicit,
      pbsz: state.pbsz,
      protection: state.protection,
      protocol: secure?.getProtocol() ?? undefined,
      cipher: secure?.getCipher().name,
      clientAuthorized: this.options.requestCert && secure !== undefined ? secure.authorized : undefined,
    };
  }

  async listenImplicit(server: FtpServer, options: ListenOptions = {}): Promise<AddressInfo> {
    if (!server.options.plugins.includes(this)) {
      throw new Error('listenImplicit: the FtpServer must be created with this TLS plugin in its plugins');
    }
    const listener = new ImplicitTlsListener(
      (raw) => this.acceptImplicit(server, listener, raw),
      server.options.tcpNoDelay,
    );
    const bind: ListenOptions =
      options.port === undefined && options.path === undefined
        ? { port: IMPLICIT_FTPS_PORT, ...options }
        : options;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ backlog: server.options.backlog, ...bind }, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    return server.listen(listener);
  }

  private acceptImplicit(server: FtpServer, listener: ImplicitTlsListener, raw: Socket): void {
    const { logger, timeoutMs } = server.options;
    raw.on('error', () => {});
    const peer = `${(raw.remoteAddress ?? '').replace(/^::ffff:/, '')}:${raw.remotePort ?? 0}-[]`;
    let endpoint: TlsEndpoint;
    try {
      endpoint = this.newEndpoint();
    } catch (error) {
      logger.error(`${peer} cannot set up TLS: ${describeError(error)}`);
      raw.destroy();
      return;
    }
    endpoint.handshake(raw, timeoutMs).then(
      (secure) => {
        this.implicitEndpoints.set(secure, endpoint);
        listener.forward(raw, secure);
      },
      (error: unknown) => {
        if (listener.listening) logger.warn(`${peer} SSL/TLS handshake failed: ${describeError(error)}`);
        raw.destroy();
      },
    );
  }
}

/**
 * Creates the FTPS plugin (pyftpdlib's `TLS_FTPHandler`, plus implicit TLS, CCC, session-reuse
 * enforcement and certificate reloading):
 *
 * ```ts
 * const tls = createTlsPlugin({ certFile: 'cert.pem', keyFile: 'key.pem', tlsControlRequired: true });
 * const server = new FtpServer({ authorizer, filesystem: localFileSystem(), plugins: [tls] });
 * await server.listen({ port: 2121 });                 // explicit FTPS: AUTH TLS
 * await tls.listenImplicit(server, { port: 9990 });    // implicit FTPS
 * process.on('SIGHUP', () => tls.reloadCertificates());
 * ```
 *
 * Throws at once for bad options: `at least certFile must be specified`, an unreadable file, or a
 * certificate and key that do not make a usable TLS context.
 */
export function createTlsPlugin(options: TlsOptions): TlsPlugin {
  return new FtpsPlugin(options);
}
