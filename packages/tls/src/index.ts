/**
 * `@ftpkit/tls`: FTPS for ftpkit. Explicit TLS (AUTH TLS, PBSZ, PROT, CCC; RFC 4217), implicit TLS on
 * its own listener, protected data connections bound to their control connection's TLS session, and
 * certificates reloaded without a restart.
 */

export { DATA_HANDSHAKE_FAILED, DataProtectionError, SESSION_REUSE_REQUIRED } from './data.js';
export { HandshakeTimeoutError } from './endpoint.js';
export {
  type ResolvedTlsOptions,
  resolveTlsOptions,
  type SessionReusePolicy,
  type TlsOptions,
} from './options.js';
export {
  createTlsPlugin,
  IMPLICIT_FTPS_PORT,
  type TlsPlugin,
  type TlsSessionInfo,
} from './plugin.js';
export type { ControlSecurity, ProtectionLevel } from './state.js';
