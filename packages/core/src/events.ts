import type { Session } from './session.js';

/**
 * The server's events: pyftpdlib's callbacks (`on_connect`, `on_login`, ...), each with the session it
 * concerns. Listeners run after the event happened; one that throws or rejects is logged and never
 * harms the session or any other.
 */
export interface FtpEvents {
  /** A connection passed the connection limits; fires before the banner (`on_connect`). */
  connect: [session: Session];
  /** A connection closed, for any reason (`on_disconnect`). */
  disconnect: [session: Session];
  /** A user logged in, after the 230 reply (`on_login`). */
  login: [session: Session, username: string];
  /** A login failed, after the delayed 530 reply (`on_login_failed`). */
  loginFailed: [session: Session, username: string, password: string];
  /** A user logged out with QUIT, REIN or a new USER (`on_logout`); not on a plain disconnect. */
  logout: [session: Session, username: string];
  /** A RETR sent the whole file (`on_file_sent`); `path` is the filesystem's resolved path. */
  fileSent: [session: Session, path: string];
  /** A STOR/APPE/STOU upload ended with the client closing the data connection (`on_file_received`). */
  fileReceived: [session: Session, path: string];
  /** A RETR ended early: ABOR, a closed connection, an error or a timeout (`on_incomplete_file_sent`). */
  incompleteFileSent: [session: Session, path: string];
  /** An upload ended early: ABOR, an error, a timeout or the control connection lost (`on_incomplete_file_received`). */
  incompleteFileReceived: [session: Session, path: string];
}

/** The name of one of {@link FtpEvents}. */
export type FtpEventName = keyof FtpEvents;

/**
 * What a session needs from whoever runs it: a place to send events and the shared connection budget.
 * The server provides one; a session running in another process gets one that forwards to its parent.
 */
export interface SessionHost {
  /** Delivers an event. Must never throw. */
  emit<K extends FtpEventName>(event: K, ...args: FtpEvents[K]): void;
  /** Takes one connection from the `maxCons` budget for a data channel; false when it is spent. */
  acquireConnection(): boolean;
  /** Returns a connection taken with {@link acquireConnection}. */
  releaseConnection(): void;
}
