/**
 * A deliberately small FTP client for benchmarking: raw control lines, passive (EPSV, else PASV) data
 * sockets, binary type only. It is built so that it is not the bottleneck:
 *  - downloads read into one shared, pre-allocated 1 MiB buffer (`net.connect({ onread })`): no
 *    allocation per chunk, up to 1 MiB per read(2), data discarded;
 *  - uploads write one pre-allocated buffer again and again, waiting for 'drain';
 *  - many sessions live in one process; nothing here blocks.
 */

import net from 'node:net';

export const MiB = 1024 * 1024;

/** The buffer every download reads into (the data is thrown away, so one buffer serves all sockets). */
const SINK = Buffer.allocUnsafe(MiB);

/** What uploads send: 1 MiB of pseudo-random bytes, made once. */
let SOURCE;
export function uploadBuffer() {
  if (SOURCE === undefined) {
    SOURCE = Buffer.allocUnsafe(MiB);
    let x = 0x2545f491;
    for (let i = 0; i < SOURCE.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      SOURCE.writeInt32LE(x | 0, i);
    }
  }
  return SOURCE;
}

export class FtpError extends Error {
  constructor(message, reply) {
    super(reply === undefined ? message : `${message}: ${reply.code} ${reply.text}`);
    this.reply = reply;
  }
}

/** Resolves when `socket` closes; rejects on an error first. */
function closed(socket) {
  return new Promise((resolve, reject) => {
    const settle = () => (socket.benchError === undefined ? resolve() : reject(socket.benchError));
    if (socket.closed) settle();
    else socket.once('close', settle);
  });
}

/** Opens a TCP connection; `count` (optional) makes it read into the shared sink buffer. */
function connect(host, port, count, track) {
  return new Promise((resolve, reject) => {
    const options = { host, port, noDelay: true };
    if (count !== undefined) options.onread = { buffer: SINK, callback: count };
    const socket = net.connect(options);
    track?.add(socket);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      // Keep the first error for closed(); without a listener an 'error' would end the process.
      socket.on('error', (error) => {
        socket.benchError ??= error;
      });
      resolve(socket);
    });
  });
}

/** One control connection. */
export class FtpSession {
  /** @param {net.Socket} socket */
  constructor(socket, host) {
    this.socket = socket;
    this.host = host;
    this.buffer = '';
    this.partial = undefined; // lines of a multi-line reply in progress
    this.replies = [];
    this.waiters = [];
    this.error = undefined;
    this.usePasv = false;
    socket.setEncoding('latin1');
    socket.on('data', (text) => this.#onData(text));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new FtpError('control connection closed')));
    this.closed = new Promise((resolve) => socket.once('close', resolve));
  }

  /**
   * Connects and reads the 220 greeting. `track` (a Set), when given, receives the socket as soon as
   * it exists, so that a caller can destroy connections still waiting for their greeting.
   */
  static async open(host, port, track) {
    const socket = await connect(host, port, undefined, track);
    const session = new FtpSession(socket, host);
    const greeting = await session.read();
    if (greeting.code !== 220) {
      session.destroy();
      throw new FtpError('greeting', greeting);
    }
    return session;
  }

  /** Connects, logs in and sets TYPE I. */
  static async login(host, port, user, password, track) {
    const session = await FtpSession.open(host, port, track);
    try {
      await session.expect(`USER ${user}`, 331);
      await session.expect(`PASS ${password}`, 230);
      await session.expect('TYPE I', 200);
    } catch (error) {
      session.destroy();
      throw error;
    }
    return session;
  }

  #onData(text) {
    this.buffer += text;
    let end = this.buffer.indexOf('\n');
    while (end >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.#onLine(line);
      end = this.buffer.indexOf('\n');
    }
  }

  #onLine(line) {
    if (this.partial !== undefined) {
      this.partial.lines.push(line);
      if (line.startsWith(`${this.partial.code} `)) {
        const { code, lines } = this.partial;
        this.partial = undefined;
        this.#deliver({ code, text: lines.join('\n') });
      }
      return;
    }
    const match = /^(\d{3})([ -])(.*)$/.exec(line);
    if (match === null) return; // stray text outside a reply: ignore
    const code = Number(match[1]);
    if (match[2] === '-') this.partial = { code, lines: [line] };
    else this.#deliver({ code, text: match[3] });
  }

  #deliver(reply) {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(reply);
    else this.replies.push(reply);
  }

  #fail(error) {
    if (this.error === undefined) this.error = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.error);
  }

  /** The next reply. */
  read() {
    const reply = this.replies.shift();
    if (reply !== undefined) return Promise.resolve(reply);
    if (this.error !== undefined) return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  send(line) {
    this.socket.write(`${line}\r\n`, 'latin1');
  }

  async command(line) {
    this.send(line);
    return this.read();
  }

  /** Sends `line` and checks the reply code. */
  async expect(line, code) {
    const reply = await this.command(line);
    if (reply.code !== code) throw new FtpError(line.split(' ')[0], reply);
    return reply;
  }

  /** Asks for a passive data port: EPSV, or PASV where EPSV is refused. */
  async passivePort() {
    if (!this.usePasv) {
      const reply = await this.command('EPSV');
      const match = /\(([^\d])\1\1(\d+)\1\)/.exec(reply.text);
      if (reply.code === 229 && match !== null) return Number(match[2]);
      this.usePasv = true;
    }
    const reply = await this.command('PASV');
    const match = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(reply.text);
    if (reply.code !== 227 || match === null) throw new FtpError('PASV', reply);
    return Number(match[5]) * 256 + Number(match[6]);
  }

  /**
   * Sends `line` (RETR, LIST, MLSD) and reads the data connection to its end, discarding it.
   * Resolves with the bytes and newlines seen and the milliseconds from the command to the end of both
   * the data and the final reply.
   */
  async download(line, { countLines = false } = {}) {
    const port = await this.passivePort();
    let bytes = 0;
    let lines = 0;
    const count = countLines
      ? (n, buf) => {
          bytes += n;
          let at = buf.indexOf(10);
          while (at >= 0 && at < n) {
            lines += 1;
            at = buf.indexOf(10, at + 1);
          }
        }
      : (n) => {
          bytes += n;
        };
    const start = performance.now();
    const dataSocket = connect(this.host, port, count);
    this.send(line);
    let data;
    try {
      const first = await this.read();
      if (first.code !== 150 && first.code !== 125) throw new FtpError(line.split(' ')[0], first);
      data = await dataSocket;
      const [final] = await Promise.all([this.read(), closed(data)]);
      if (final.code !== 226) throw new FtpError(`${line.split(' ')[0]} end`, final);
    } catch (error) {
      dataSocket.then(
        (socket) => socket.destroy(),
        () => {},
      );
      throw error;
    }
    return { bytes, lines, ms: performance.now() - start };
  }

  /** STORs `size` bytes of the upload buffer as `path`. */
  async upload(path, size) {
    const port = await this.passivePort();
    const source = uploadBuffer();
    const start = performance.now();
    const dataSocket = connect(this.host, port);
    this.send(`STOR ${path}`);
    try {
      const first = await this.read();
      if (first.code !== 150 && first.code !== 125) throw new FtpError('STOR', first);
      const data = await dataSocket;
      const done = closed(data);
      let left = size;
      while (left > 0) {
        const n = Math.min(left, source.length);
        left -= n;
        if (!data.write(n === source.length ? source : source.subarray(0, n))) {
          await new Promise((resolve, reject) => {
            const onClose = () => reject(new FtpError('data connection closed during STOR'));
            data.once('close', onClose);
            data.once('drain', () => {
              data.off('close', onClose);
              resolve();
            });
          });
        }
      }
      data.end();
      const [final] = await Promise.all([this.read(), done]);
      if (final.code !== 226) throw new FtpError('STOR end', final);
    } catch (error) {
      dataSocket.then(
        (socket) => socket.destroy(),
        () => {},
      );
      throw error;
    }
    return { bytes: size, ms: performance.now() - start };
  }

  /** QUIT, the 221 and the server closing the connection. */
  async quit() {
    const reply = await this.command('QUIT');
    if (reply.code !== 221) throw new FtpError('QUIT', reply);
    await this.closed;
  }

  destroy() {
    this.socket.destroy();
  }
}
