import type { TLSSocket } from 'node:tls';
import type { Session } from '@ftpkit/core';
import type { ControlTransport } from './control-transport.js';
import type { TlsEndpoint } from './endpoint.js';

/** The key of the TLS state in `session.pluginState` (the plugin's name). */
export const PLUGIN_NAME = 'tls';

/** Data-channel protection set by PROT: `C` (clear) or `P` (private: TLS). */
export type ProtectionLevel = 'C' | 'P';

/**
 * The control connection's security: `plain` (never secured), `tls`, or `cleared` (secured, then
 * returned to plaintext by CCC).
 */
export type ControlSecurity = 'plain' | 'tls' | 'cleared';

/** What the TLS plugin remembers about one FTP session. */
export interface TlsSessionState {
  /** The control connection's security. */
  control: ControlSecurity;
  /** True for a session accepted by the implicit-TLS listener. */
  readonly implicit: boolean;
  /** True after PBSZ (reset by REIN and USER while logged in). */
  pbsz: boolean;
  /** PROT in force (reset by REIN and USER while logged in). */
  protection: ProtectionLevel;
  /** The session's TLS endpoint, made by the first AUTH (or at accept for implicit TLS). */
  endpoint: TlsEndpoint | undefined;
  /** The transport under the control TLS socket (explicit TLS only, for CCC). */
  transport: ControlTransport | undefined;
  /** The control connection's TLS socket while the control connection is secure. */
  tlsSocket: TLSSocket | undefined;
}

/** A fresh state: plaintext, or already secure for an implicit-TLS session. */
export function initialState(
  implicit: { endpoint: TlsEndpoint; socket: TLSSocket } | undefined,
): TlsSessionState {
  return {
    control: implicit === undefined ? 'plain' : 'tls',
    implicit: implicit !== undefined,
    pbsz: false,
    // Implicit-FTPS clients take protected data for granted (RFC 4217 leaves implicit TLS out).
    protection: implicit === undefined ? 'C' : 'P',
    endpoint: implicit?.endpoint,
    transport: undefined,
    tlsSocket: implicit?.socket,
  };
}

/** The session's TLS state (created on first use, e.g. for a session started before the plugin saw it). */
export function tlsState(session: Session): TlsSessionState {
  const found = session.pluginState.get(PLUGIN_NAME);
  if (found !== undefined) return found as TlsSessionState;
  const state = initialState(undefined);
  session.pluginState.set(PLUGIN_NAME, state);
  return state;
}

/** Error text of an unknown thrown value. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
