import { type Socket, connect as tcpConnect } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';

/** One reply: its code, the text of its last line, and every line. */
export interface Reply {
  code: number;
  text: string;
  lines: string[];
}

/** TLS settings for the test client: certificates are not checked unless asked. */
export type ClientTls = Omit<ConnectionOptions, 'socket' | 'host' | 'port'>;

const INSECURE: ClientTls = { rejectUnauthorized: false };

/**
 * A minimal FTP/FTPS control client that reads whole replies, can switch its control connection to TLS
 * (AUTH TLS) and opens data connections with or without TLS and with or without session reuse.
 */
export class FtpsClient {
  private buffer = '';
  private pendingLines: string[] = [];
  private readonly waiting: Array<(reply: Reply) => void> = [];
  private readonly ready: Reply[] = [];
  /** The latest TLS session the server gave the control connection (TLS 1.3 tickets come late). */
  session: Buffer | undefined;
  closed = false;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk.toString('utf8'));

  private constructor(public socket: Socket) {
    this.watch(socket);
  }

  private watch(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', () => {});
    socket.once('close', () => {
      this.closed = true;
    });
  }

  /** Connects in plaintext (explicit FTPS starts here). */
  static connect(port: number, host = '127.0.0.1'): Promise<FtpsClient> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ port, host }, () => resolve(new FtpsClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects with TLS from the first byte (implicit FTPS). */
  static connectImplicit(port: number, tls: ClientTls = {}, host = '127.0.0.1'): Promise<FtpsClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ port, host, ...INSECURE, ...tls }, () => resolve(client));
      const client = new FtpsClient(socket);
      socket.on('session', (session: Buffer) => {
        client.session = session;
      });
      socket.once('error', reject);
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let index = this.buffer.indexOf('\r\n');
    while (index >= 0) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      this.pendingLines.push(line);
      const first = this.pendingLines[0]!;
      const code = first.slice(0, 3);
      const done = this.pendingLines.length === 1 ? line[3] !== '-' : line.startsWith(`${code} `);
      if (done && /^\d{3}/.test(first)) {
        const reply: Reply = { code: Number(code), text: line.slice(4), lines: this.pendingLines };
        this.pendingLines = [];
        const waiter = this.waiting.shift();
        if (waiter) waiter(reply);
        else this.ready.push(reply);
      }
      index = this.buffer.indexOf('\r\n');
    }
  }

  /** The next reply (waits up to `timeout` ms). */
  reply(timeout = 10_000): Promise<Reply> {
    const ready = this.ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(done);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`no reply within ${timeout} ms`));
      }, timeout);
      const done = (reply: Reply): void => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.waiting.push(done);
    });
  }

  /** True when a reply arrived that nobody has read. */
  get hasUnreadReply(): boolean {
    return this.ready.length > 0 || this.pendingLines.length > 0 || this.buffer.length > 0;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a command line and returns its reply. */
  async send(line: string, timeout?: number): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply(timeout);
  }

  /** Sends a command and throws unless the reply has `code`. */
  async expect(line: string, code: number): Promise<Reply> {
    const reply = await this.send(line);
    if (reply.code !== code) throw new Error(`${line}: expected ${code}, got ${reply.code} ${reply.text}`);
    return reply;
  }

  /**
   * Runs the client side of TLS on the control connection (after a `234`). Bytes the server sent in
   * plaintext before are kept; nothing else is read from the TCP socket afterwards.
   */
  async startTls(tls: ClientTls = {}): Promise<TLSSocket> {
    const tcp = this.socket;
    tcp.off('data', this.onData);
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const socket = tlsConnect({ socket: tcp, ...INSECURE, ...tls }, () => resolve(socket));
      socket.on('session', (session: Buffer) => {
        this.session = session;
      });
      socket.once('error', reject);
    });
    this.socket = secure;
    this.watch(secure);
    return secure;
  }

  /** Banner, `AUTH TLS`, handshake. */
  async auth(tls: ClientTls = {}): Promise<TLSSocket> {
    await this.reply();
    await this.expect('AUTH TLS', 234);
    return this.startTls(tls);
  }

  /** USER and PASS. */
  async login(user = 'user', password = '12345'): Promise<void> {
    await this.expect(`USER ${user}`, 331);
    await this.expect(`PASS ${password}`, 230);
  }

  /** Banner (plaintext only), AUTH TLS, login, PBSZ 0, PROT P: ready for protected transfers. */
  async secureLogin(tls: ClientTls = {}): Promise<void> {
    await this.auth(tls);
    await this.login();
    await this.expect('PBSZ 0', 200);
    await this.expect('PROT P', 200);
    await this.waitForSession();
  }

  /** Waits until the server's session ticket has arrived (TLS 1.3 sends it after the handshake). */
  async waitForSession(timeout = 5000): Promise<Buffer> {
    const start = Date.now();
    while (this.session === undefined) {
      if (Date.now() - start > timeout) throw new Error('no TLS session from the server');
      await this.send('NOOP');
    }
    return this.session;
  }

  /** EPSV: connects the data connection, in plaintext. */
  async openData(): Promise<Socket> {
    const reply = await this.expect('EPSV', 229);
    const port = Number(/\|\|\|(\d+)\|/.exec(reply.text)?.[1]);
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ port, host: '127.0.0.1' }, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /**
   * Client side of a data connection's TLS, offering `session` (the control connection's, to resume it).
   * `resumed` is read at the end of the handshake (it is null once the socket is closed).
   */
  static secureData(
    socket: Socket,
    options: { session?: Buffer | undefined } & ClientTls = {},
  ): Promise<TLSSocket & { resumed: boolean }> {
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({ socket, ...INSECURE, ...options }, () =>
        resolve(Object.assign(secure, { resumed: secure.isSessionReused() })),
      );
      secure.once('error', reject);
    });
  }

  /** Resolves when the server closed the control connection. */
  waitClosed(timeout = 10_000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection not closed')), timeout);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Reads a stream to its end (errors after some data count as the end: the peer may reset). */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('close', () => resolve(Buffer.concat(chunks)));
    socket.once('error', (error) => (chunks.length > 0 ? resolve(Buffer.concat(chunks)) : reject(error)));
  });
}

/** Writes `data` and ends the stream, resolving once it is flushed. */
export function writeAll(socket: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.end(data, () => resolve());
  });
}
