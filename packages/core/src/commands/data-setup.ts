import { isIPv4, isIPv6 } from 'node:net';
import { formatPasvAddress, parseEprtArgument, parsePortArgument } from '../protocol/address.js';
import type { Session } from '../session.js';
import type { CommandDefinition } from './types.js';

/** True when the control connection runs over IPv4 (IPv4-mapped addresses included). */
function controlIsIPv4(session: Session): boolean {
  return isIPv4(session.localAddress);
}

/** The address announced in 227: the masquerade map, then the masquerade address, then the local IP. */
function announcedAddress(session: Session): string {
  const { masqueradeAddressMap, masqueradeAddress } = session.options;
  return masqueradeAddressMap[session.localAddress] ?? masqueradeAddress ?? session.localAddress;
}

/** Canonical text of an IP address, so that two spellings of one IPv6 address compare equal. */
function canonicalIp(address: string): string {
  if (!isIPv6(address)) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

async function openPassive(session: Session): Promise<number | undefined> {
  const channel = session.openDataChannel();
  if (channel === undefined) return undefined;
  try {
    return await channel.listen(session.localAddress);
  } catch (error) {
    if (session.data !== channel) return undefined;
    session.closeDataChannel();
    session.logBug('cannot open a passive listener', error);
    session.reply(425, "Can't open passive connection.");
    return undefined;
  }
}

/** Shared by PORT and EPRT: the FXP and privileged-port rules, then the connect and its reply. */
async function connectActive(session: Session, host: string, port: number): Promise<void> {
  if (!session.options.permitForeignAddresses && canonicalIp(host) !== canonicalIp(session.remoteAddress)) {
    session.options.logger.warn(
      `${session.logPrefix} Rejected data connection to foreign address ${host}:${port}.`,
    );
    session.reply(501, `Rejected data connection to foreign address ${host}:${port}.`);
    return;
  }
  if (!session.options.permitPrivilegedPorts && port < 1024) {
    session.reply(501, `PORT against the privileged port "${port}" refused.`);
    return;
  }
  const channel = session.openDataChannel();
  if (channel === undefined) return;
  const result = await channel.connect(host, port, session.localAddress);
  if (session.data !== channel) return;
  if (result.ok) {
    session.reply(200, 'Active data connection established.');
    return;
  }
  session.closeDataChannel();
  if (result.reason === 'timeout') session.reply(421, 'Active data channel timed out.');
  else session.reply(425, "Can't connect to specified address.");
}

const PASV: CommandDefinition = {
  name: 'PASV',
  help: 'Syntax: PASV (open passive data connection).',
  requiresLogin: true,
  arg: 'none',
  async run(session) {
    if (session.epsvAll) {
      session.reply(501, 'PASV not allowed after EPSV ALL.');
      return;
    }
    const address = announcedAddress(session);
    if (!isIPv4(address)) {
      session.reply(425, "Can't use PASV on an IPv6 connection; use EPSV.");
      return;
    }
    const port = await openPassive(session);
    if (port !== undefined)
      session.reply(227, `Entering passive mode (${formatPasvAddress(address, port)}).`);
  },
};

const EPSV: CommandDefinition = {
  name: 'EPSV',
  help: 'Syntax: EPSV [<SP> proto/"ALL"] (extended passive mode).',
  requiresLogin: true,
  arg: 'optional',
  feature: 'EPSV',
  async run(session, { arg }) {
    const v4 = controlIsIPv4(session);
    if (arg !== undefined && arg !== '') {
      if (arg.toUpperCase() === 'ALL') {
        session.epsvAll = true;
        session.reply(220, 'Other commands other than EPSV are now disabled.');
        return;
      }
      if (arg === '1' && !v4) {
        session.reply(522, 'Network protocol not supported (use 2).');
        return;
      }
      if (arg === '2' && v4) {
        session.reply(522, 'Network protocol not supported (use 1).');
        return;
      }
      if (arg !== '1' && arg !== '2') {
        session.reply(501, `Unknown network protocol (use ${v4 ? 1 : 2}).`);
        return;
      }
    }
    const port = await openPassive(session);
    if (port !== undefined) session.reply(229, `Entering extended passive mode (|||${port}|).`);
  },
};

const PORT: CommandDefinition = {
  name: 'PORT',
  help: 'Syntax: PORT <sp> h,h,h,h,p,p (open active data connection).',
  requiresLogin: true,
  arg: 'required',
  async run(session, { arg = '' }) {
    if (session.epsvAll) {
      session.reply(501, 'PORT not allowed after EPSV ALL.');
      return;
    }
    const target = parsePortArgument(arg);
    if (target === undefined) {
      session.reply(501, 'Invalid PORT format.');
      return;
    }
    if (!controlIsIPv4(session)) {
      session.reply(522, 'Network protocol not supported (use 2).');
      return;
    }
    await connectActive(session, target.host, target.port);
  },
};

const EPRT: CommandDefinition = {
  name: 'EPRT',
  help: 'Syntax: EPRT <SP> |proto|ip|port| (extended active mode).',
  requiresLogin: true,
  arg: 'required',
  feature: 'EPRT',
  async run(session, { arg = '' }) {
    if (session.epsvAll) {
      session.reply(501, 'EPRT not allowed after EPSV ALL.');
      return;
    }
    const v4 = controlIsIPv4(session);
    const parsed = parseEprtArgument(arg);
    if (parsed === undefined) {
      session.reply(501, 'Invalid EPRT format.');
      return;
    }
    // pyftpdlib's order: the protocol against the connection's family, then the address itself.
    if (parsed.protocol === '1') {
      if (!v4) {
        session.reply(522, 'Network protocol not supported (use 2).');
        return;
      }
      if (!isIPv4(parsed.host)) {
        session.reply(501, 'Invalid EPRT format.');
        return;
      }
    } else if (parsed.protocol === '2') {
      if (v4) {
        session.reply(522, 'Network protocol not supported (use 1).');
        return;
      }
      if (!isIPv6(parsed.host)) {
        session.reply(501, 'Invalid EPRT format.');
        return;
      }
    } else {
      session.reply(501, `Unknown network protocol (use ${v4 ? 1 : 2}).`);
      return;
    }
    await connectActive(session, parsed.host, parsed.port);
  },
};

/** PASV, EPSV, PORT, EPRT. */
export const DATA_SETUP_COMMANDS: readonly CommandDefinition[] = [PASV, EPSV, PORT, EPRT];
