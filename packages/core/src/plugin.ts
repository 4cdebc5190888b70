import type { Duplex, Transform } from 'node:stream';
import type { CommandDefinition } from './commands/types.js';
import type { Session } from './session.js';

/** The direction of a transfer, seen from the server: `send` (RETR, listings) or `receive` (STOR, APPE). */
export type TransferDirection = 'send' | 'receive';

/** A reply that refuses a command. */
export interface Refusal {
  /** The FTP reply code, e.g. 550. */
  readonly code: number;
  /** The reply text. */
  readonly text: string;
}

/** What a plugin's {@link FtpPlugin.beforeCommand} sees of a command. */
export interface CommandInfo {
  /** The command name, upper-cased. */
  readonly name: string;
  /** The argument as sent. */
  readonly arg: string | undefined;
}

/**
 * A server plugin: the seams through which TLS, throttling and user extensions plug into core without
 * editing it. Every member is optional except the name.
 */
export interface FtpPlugin {
  /** A short name for logs. */
  readonly name: string;
  /** Commands this plugin adds or replaces (a later definition with the same name wins). */
  readonly commands?: readonly CommandDefinition[];
  /** Extra FEAT lines (without the leading space), e.g. `AUTH TLS`. */
  features?(session: Session): readonly string[];
  /** Called once per session, before the banner: the place to attach per-session state. */
  sessionStarted?(session: Session): void;
  /**
   * Called when the session forgets its account (USER while logged in, REIN): the place to reset
   * per-login state such as PBSZ/PROT.
   */
  accountFlushed?(session: Session): void;
  /**
   * Called for every known command after its argument and login checks; a {@link Refusal} answers the
   * command instead of running it (e.g. `550 SSL/TLS required on the control channel.`).
   */
  beforeCommand?(session: Session, command: CommandInfo): Refusal | undefined;
  /**
   * Wraps a data connection before a transfer uses it (e.g. a TLS handshake when PROT P is set). A
   * rejection fails the transfer: the reply is the error's `replyCode` (e.g. 522) with its message, or
   * `425 Can't open data connection.` when the error has no `replyCode`.
   */
  wrapDataSocket?(socket: Duplex, session: Session): Promise<Duplex> | Duplex;
  /** A transform added to the data path of each transfer (e.g. a bandwidth limiter), or undefined. */
  transformData?(session: Session, direction: TransferDirection): Transform | undefined;
}
