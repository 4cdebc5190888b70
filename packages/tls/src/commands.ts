import type { Duplex } from 'node:stream';
import type { CommandDefinition, Session } from '@ftpkit/core';
import { ControlTransport } from './control-transport.js';
import type { TlsEndpoint } from './endpoint.js';
import { describeError, type TlsSessionState, tlsState } from './state.js';

/** The AUTH arguments taken as "TLS on the control connection" (RFC 4217 and the older drafts). */
const AUTH_TYPES = new Set(['TLS', 'TLS-C', 'SSL', 'TLS-P']);

/** What the commands need from the plugin. */
export interface CommandRuntime {
  /** Makes a TLS endpoint for a session from the current certificates. Throws when it cannot. */
  newEndpoint(): TlsEndpoint;
}

/** The log line prefix plus a message, at warn level. */
function warn(session: Session, message: string): void {
  session.options.logger.warn(`${session.logPrefix} ${message}`);
}

/**
 * Runs the server side of AUTH's handshake over `socket` (the control connection, plaintext). On
 * failure the session is closed without a reply, as pyftpdlib does: nothing can be said to a peer whose
 * TLS failed.
 */
async function secureControl(
  session: Session,
  state: TlsSessionState,
  endpoint: TlsEndpoint,
  socket: Duplex,
): Promise<Duplex> {
  const transport = new ControlTransport(socket);
  try {
    const tlsSocket = await endpoint.handshake(transport, session.options.timeoutMs);
    state.control = 'tls';
    state.transport = transport;
    state.tlsSocket = tlsSocket;
    const cipher = tlsSocket.getCipher();
    session.options.logger.debug(
      `${session.logPrefix} control connection secured: ${tlsSocket.getProtocol() ?? '?'} ${cipher.name}`,
    );
    return tlsSocket;
  } catch (error) {
    if (!session.isClosing) {
      warn(session, `SSL/TLS handshake failed on the control connection: ${describeError(error)}`);
      session.close('TLS handshake failed');
    }
    return transport;
  }
}

/** AUTH TLS / TLS-C / SSL / TLS-P: `234`, then the control connection becomes TLS in place. */
function authCommand(runtime: CommandRuntime): CommandDefinition {
  return {
    name: 'AUTH',
    help: 'Syntax: AUTH <SP> TLS|SSL (set up secure control channel).',
    requiresLogin: false,
    arg: 'required',
    async run(session, { arg }) {
      const state = tlsState(session);
      if (state.control === 'tls') {
        session.reply(503, 'Already using TLS.');
        return;
      }
      const type = (arg ?? '').toUpperCase();
      if (!AUTH_TYPES.has(type)) {
        session.reply(502, 'Unrecognized encryption type (use TLS or SSL).');
        return;
      }
      let endpoint: TlsEndpoint;
      try {
        endpoint = state.endpoint ?? runtime.newEndpoint();
      } catch (error) {
        session.logBug('cannot set up TLS', error);
        session.reply(431, 'Unable to set up a secure connection.');
        return;
      }
      state.endpoint = endpoint;
      session.reply(234, `AUTH ${type} successful.`);
      // The handshake has its own timer (the control idle timeout); a 421 written in plaintext into a
      // handshake would only confuse the client.
      session.suspendIdleTimer();
      await session.upgradeControl((socket) => secureControl(session, state, endpoint, socket));
      if (!session.isClosing) session.resetIdleTimer();
    },
  };
}

const PBSZ: CommandDefinition = {
  name: 'PBSZ',
  help: 'Syntax: PBSZ <SP> 0 (negotiate TLS buffer).',
  requiresLogin: false,
  arg: 'required',
  run(session) {
    const state = tlsState(session);
    if (state.control !== 'tls') {
      session.reply(503, 'PBSZ not allowed on insecure control connection.');
      return;
    }
    state.pbsz = true;
    session.reply(200, 'PBSZ=0 successful.');
  },
};

const PROT: CommandDefinition = {
  name: 'PROT',
  help: 'Syntax: PROT <SP> [C|P] (set up un/secure data channel).',
  requiresLogin: false,
  arg: 'required',
  run(session, { arg }) {
    const state = tlsState(session);
    const level = (arg ?? '').toUpperCase();
    if (state.control !== 'tls') {
      session.reply(503, 'PROT not allowed on insecure control connection.');
    } else if (!state.pbsz) {
      session.reply(503, 'You must issue the PBSZ command prior to PROT.');
    } else if (level === 'C') {
      state.protection = 'C';
      session.reply(200, 'Protection set to Clear');
    } else if (level === 'P') {
      state.protection = 'P';
      session.reply(200, 'Protection set to Private');
    } else if (level === 'S' || level === 'E') {
      session.reply(521, `PROT ${level} unsupported (use C or P).`);
    } else {
      session.reply(502, 'Unrecognized PROT type (use C or P).');
    }
  },
};

/**
 * CCC (RFC 4217 §6): `200`, close_notify, and the control connection goes on in plaintext (for
 * firewalls that must read PORT/PASV). Data protection stays as PROT set it.
 */
const CCC: CommandDefinition = {
  name: 'CCC',
  help: 'Syntax: CCC (clear the control channel; the data channel keeps its protection).',
  requiresLogin: false,
  arg: 'none',
  async run(session) {
    const state = tlsState(session);
    const tls = state.control === 'tls' ? state.tlsSocket : undefined;
    if (tls === undefined) {
      session.reply(533, 'CCC not allowed on insecure control connection.');
      return;
    }
    const transport = state.transport;
    if (state.implicit || transport === undefined) {
      session.reply(534, 'CCC not supported on implicit FTPS connections.');
      return;
    }
    session.reply(200, 'Clearing control channel protection.');
    session.suspendIdleTimer();
    await session.upgradeControl(async () => {
      try {
        await transport.clear(tls, session.options.timeoutMs);
      } catch (error) {
        if (!session.isClosing) {
          session.options.logger.info(`${session.logPrefix} CCC: ${describeError(error)}`);
          session.close('control connection lost during CCC');
        }
        return tls;
      }
      state.control = 'cleared';
      state.transport = undefined;
      state.tlsSocket = undefined;
      return transport.socket;
    });
    if (session.isClosing) return;
    // The socket comes back paused (see ControlTransport.clear): now that the session listens, go on.
    transport.socket.resume();
    session.resetIdleTimer();
  },
};

/** AUTH, PBSZ, PROT and CCC. None needs a login. */
export function createTlsCommands(runtime: CommandRuntime): readonly CommandDefinition[] {
  return [authCommand(runtime), PBSZ, PROT, CCC];
}
