import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PermissionLetter } from './authorizer.js';
import { buildCommandTable, type CommandTable } from './commands/table.js';
import type { CommandDefinition, CommandRequest } from './commands/types.js';
import { describeFilesystemError, errorCode, isFilesystemError, isPathOutsideRootError } from './errors.js';
import type { FtpEventName, FtpEvents, SessionHost } from './events.js';
import type { FileSystem } from './filesystem.js';
import { DEFAULT_FACTS, type MlsxFact } from './listing/mlsx.js';
import { isLevelEnabled } from './logger.js';
import { isPromiseLike } from './maybe-async.js';
import type { ResolvedOptions } from './options.js';
import type { Refusal } from './plugin.js';
import { plainAddress } from './protocol/address.js';
import { CommandLineSplitter, URGENT_COMMANDS } from './protocol/command-line.js';
import { type ParsedCommand, parseCommandLine } from './protocol/parse.js';
import { formatMessageReply, formatMultilineReply, formatReply } from './protocol/reply.js';
import { normalizeVirtualPath } from './protocol/virtual-path.js';
import { DataChannel } from './transfer/data-channel.js';
import { type PendingTransfer, TransferRunner } from './transfer/transfer-runner.js';

/** Commands logged at info level, with their reply code (pyftpdlib's `log_cmds_list`). */
const LOGGED_COMMANDS = new Set([
  'DELE',
  'RNFR',
  'RNTO',
  'MKD',
  'RMD',
  'CWD',
  'XMKD',
  'XRMD',
  'XCWD',
  'REIN',
  'SITE CHMOD',
  'MFMT',
]);

/** Lines queued before the session stops reading from the socket. */
const MAX_QUEUED_LINES = 32;

/** How long {@link Session.end} waits for the client to take the last replies before closing anyway. */
const END_FLUSH_TIMEOUT_MS = 2000;

/** Swallows errors of a socket nobody handles any more (one the session let go of, a refused one). */
export const ignoreError = (): void => {};

/** TYPE: `ascii` (A) or `binary` (I). */
export type TransferType = 'ascii' | 'binary';

/**
 * One control connection: the login state machine, the command loop and the session's state. A session
 * is built from an accepted socket and resolved options alone, so it can run in any process.
 */
export class Session {
  /** The client's address (without the `::ffff:` prefix). */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The server address the client connected to (without `::ffff:`). */
  readonly localAddress: string;
  /** The server port the client connected to. */
  readonly localPort: number;
  /** When the session started. */
  readonly startedAt = new Date();
  /** The resolved options. */
  readonly options: ResolvedOptions;
  /** The command table (built-ins, options' commands, plugins' commands). */
  readonly commands: CommandTable;

  /** The name given with USER (pending or logged in). */
  username: string | undefined;
  /** True after a successful PASS. */
  authenticated = false;
  /** Failed logins on this connection. */
  loginAttempts = 0;
  /** The working directory (virtual path). */
  cwd = '/';
  /** TYPE in force; pyftpdlib starts in ASCII. */
  transferType: TransferType = 'ascii';
  /** The REST marker; consumed by the next RETR/STOR. */
  restPosition = 0;
  /** The resolved and virtual path remembered by RNFR. */
  renameFrom: { path: string; virtualPath: string } | undefined;
  /** True after `EPSV ALL`. */
  epsvAll = false;

  // Made on first use: most sessions never need them, and a login should build no more than it uses.
  private shortId: string | undefined;
  private enabledFacts: Set<MlsxFact> | undefined;
  private pluginStates: Map<string, unknown> | undefined;

  private socket: Duplex;
  private readonly rawSocket: Socket;
  private filesystem: FileSystem | undefined;
  private readonly splitter: CommandLineSplitter;
  private readonly queue: Array<Buffer | 'too-long'> = [];
  private processing = false;
  private closing = false;
  private closed = false;
  private quitPending = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /**
   * When the control connection was last active since the idle timer was armed ({@link monotonicMs}), or
   * -Infinity when it was not; see {@link resetIdleTimer}.
   */
  private activeAt = Number.NEGATIVE_INFINITY;
  private endTimer: NodeJS.Timeout | undefined;
  private ending = false;
  /** {@link logPrefix}, and the user name it was built for. */
  private prefix = '';
  private prefixUser: string | undefined;
  private dataChannel: DataChannel | undefined;
  private dataBudgetHeld = false;
  private lastReplyCode = 0;
  private readonly transfers: TransferRunner;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void => this.close('client closed the connection');
  private readonly onError = (error: Error): void => this.close(`control connection error: ${error.message}`);
  private readonly onIdleTimeout = (): void => {
    const left = this.activeAt + this.options.timeoutMs - monotonicMs();
    if (left > 0) {
      // There was activity since the timer was armed: wait for the rest of the period.
      this.idleTimer = setTimeout(this.onIdleTimeout, left);
      return;
    }
    this.idleTimer = undefined;
    this.reply(421, 'Control connection timed out.');
    this.close('control connection timed out');
  };
  private readonly onEndFlushed = (): void => this.close('session ended');

  constructor(
    socket: Socket,
    options: ResolvedOptions,
    private readonly host: SessionHost,
  ) {
    this.rawSocket = socket;
    this.socket = socket;
    this.options = options;
    this.remoteAddress = plainAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = plainAddress(socket.localAddress ?? '');
    this.localPort = socket.localPort ?? 0;
    this.commands = buildCommandTable(options);
    this.splitter = new CommandLineSplitter(options.maxLineLength);
    this.transfers = new TransferRunner(this);
    if (options.tcpNoDelay) socket.setNoDelay(true);
    // Indexed loops over the plugins: an iterator per loop is a measurable share of a login.
    const { plugins } = options;
    for (let i = 0; i < plugins.length; i++) plugins[i]!.sessionStarted?.(this);
  }

  /** A short id used in logs. */
  get id(): string {
    this.shortId ??= randomUUID().slice(0, 8);
    return this.shortId;
  }

  /** MLSx facts enabled with OPTS MLST. */
  get facts(): Set<MlsxFact> {
    this.enabledFacts ??= new Set(DEFAULT_FACTS);
    return this.enabledFacts;
  }

  set facts(facts: Set<MlsxFact>) {
    this.enabledFacts = facts;
  }

  /** Per-plugin state, keyed by plugin name. */
  get pluginState(): Map<string, unknown> {
    this.pluginStates ??= new Map();
    return this.pluginStates;
  }

  /** pyftpdlib's log prefix: `127.0.0.1:54321-[user]`. */
  get logPrefix(): string {
    // Built once per user rather than for every log line.
    const user = this.authenticated ? (this.username ?? '') : '';
    if (user !== this.prefixUser) {
      this.prefixUser = user;
      this.prefix = `${this.remoteAddress}:${this.remotePort}-[${user}]`;
    }
    return this.prefix;
  }

  /** The logged-in user's filesystem; throws when nobody is logged in. */
  get fs(): FileSystem {
    if (this.filesystem === undefined) throw new Error('no user is logged in');
    return this.filesystem;
  }

  /** The current control stream (a TLS socket after an upgrade). */
  get controlSocket(): Duplex {
    return this.socket;
  }

  /** The TCP socket under the control stream. */
  get tcpSocket(): Socket {
    return this.rawSocket;
  }

  /** True once the session is closing or closed. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** The current data channel, if any. */
  get data(): DataChannel | undefined {
    return this.dataChannel;
  }

  /** The transfer machinery of this session. */
  get transfer(): TransferRunner {
    return this.transfers;
  }

  /** Sends the banner and starts reading commands. */
  start(): void {
    this.attach(this.socket);
    this.options.logger.info(`${this.logPrefix} FTP session opened (connect)`);
    const banner = this.safeBanner();
    this.send(formatMessageReply(220, banner), 220);
    this.resetIdleTimer();
  }

  private safeBanner(): string {
    try {
      return this.options.banner({ remoteAddress: this.remoteAddress, remotePort: this.remotePort });
    } catch (error) {
      this.logBug('banner function failed', error);
      return 'FTP server ready.';
    }
  }

  private attach(socket: Duplex): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onEnd);
  }

  private detach(socket: Duplex): void {
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onEnd);
  }

  // ---- replies -------------------------------------------------------------------------------

  /** Sends `code text`. */
  reply(code: number, text: string): void {
    this.send(formatReply(code, text), code);
  }

  /** Sends a multi-line reply: first line `code-...`, last `code ...`. */
  replyLines(code: number, lines: readonly string[]): void {
    this.send(formatMultilineReply(code, lines), code);
  }

  /** Sends a banner-style message reply (the 75-character rule of 220/230/221). */
  replyMessage(code: number, text: string): void {
    this.send(formatMessageReply(code, text), code);
  }

  /** Sends pre-formatted reply text (must end with CRLF). */
  replyRaw(text: string, code: number): void {
    this.send(text, code);
  }

  /** Answers a failed filesystem operation: `550 <strerror>.` (or the plugin's code and text). */
  replyFilesystemError(error: unknown): void {
    if (!isFilesystemError(error) && !isPathOutsideRootError(error) && errorCode(error) === undefined) {
      this.logBug('filesystem operation failed', error);
    }
    const code = isFilesystemError(error) ? error.replyCode : 550;
    this.reply(code, `${describeFilesystemError(error)}.`);
  }

  /**
   * Writes raw bytes to the control connection (a listing sent by STAT) and waits while the client is
   * not reading. Resolves false when the connection is gone.
   */
  async writeControl(chunk: Buffer): Promise<boolean> {
    if (this.closed || !this.socket.writable) return false;
    if (!this.socket.write(chunk)) await waitForDrain(this.socket);
    return !this.closed && this.socket.writable;
  }

  private send(text: string, code: number): void {
    if (this.closed) return;
    this.lastReplyCode = code;
    if (this.socket.writable) {
      const { logger, charset } = this.options;
      if (isLevelEnabled(logger, 'debug')) logger.debug(`${this.logPrefix} -> ${text.trimEnd()}`);
      this.socket.write(charset.isUtf8 ? text : charset.encode(text));
    }
  }

  // ---- input ---------------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.closing || this.quitPending) return;
    const results = this.splitter.push(chunk);
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      this.queue.push(result.kind === 'line' ? result.line : 'too-long');
    }
    if (this.queue.length >= MAX_QUEUED_LINES) this.socket.pause();
    if (!this.processing) {
      this.processing = true;
      this.drainQueue();
    }
  }

  /**
   * Runs the queued lines in order. It stays synchronous while commands finish synchronously (most do:
   * a promise per line was a measurable share of a login); a command that returns a promise, or a
   * client that is not reading its replies, continues the loop once it has settled.
   */
  private drainQueue(): void {
    while (this.queue.length > 0 && !this.closing && !this.quitPending) {
      const item = this.queue.shift()!;
      this.resetIdleTimer();
      let running: Promise<void> | undefined;
      if (item === 'too-long') {
        this.options.logger.warn(`${this.logPrefix} Command too long.`);
        this.reply(500, 'Command too long.');
      } else {
        try {
          running = this.processLine(this.options.charset.decode(item));
        } catch (error) {
          this.queueFailed(error);
          return;
        }
      }
      if (running !== undefined) {
        running.then(
          () => this.lineDone(),
          (error: unknown) => this.queueFailed(error),
        );
        return;
      }
      if (!this.lineDone(false)) return;
    }
    this.processing = false;
  }

  /**
   * After a line: waits while the client is not reading (then goes on with the queue by itself and
   * returns false), or resumes reading once the queue is short. With `next`, goes on with the queue.
   */
  private lineDone(next = true): boolean {
    if (this.socket.writableNeedDrain) {
      waitForDrain(this.socket).then(() => this.lineDone());
      return false;
    }
    if (this.queue.length < MAX_QUEUED_LINES / 2 && this.socket.isPaused()) this.socket.resume();
    if (next) this.drainQueue();
    return true;
  }

  /** A bug in the command loop itself (handlers' errors are answered in {@link execute}). */
  private queueFailed(error: unknown): void {
    this.processing = false;
    this.logBug('command loop failed', error);
    this.close('internal error');
  }

  /** Runs one command line; returns a promise only when the command did not finish synchronously. */
  private processLine(line: string): Promise<void> | undefined {
    const parsed = parseCommandLine(line);
    const { logger } = this.options;
    if (isLevelEnabled(logger, 'debug')) {
      logger.debug(`${this.logPrefix} <- ${parsed.name === 'PASS' ? 'PASS ******' : line}`);
    }
    const definition = this.lookup(parsed);
    if (definition === undefined) {
      this.reply(500, `Command "${parsed.name}" not understood.`);
      return undefined;
    }
    const request = this.prepare(definition, parsed);
    if (request === undefined) return undefined;
    if (isPromiseLike(request)) {
      return Promise.resolve(request).then((ready) =>
        ready === undefined ? undefined : this.execute(definition, ready),
      );
    }
    return this.execute(definition, request);
  }

  /** Runs a prepared command and logs it; returns a promise only when its handler returned one. */
  private execute(definition: CommandDefinition, request: CommandRequest): Promise<void> | undefined {
    this.lastReplyCode = 0;
    let running: Promise<void> | void;
    try {
      running = definition.run(this, request);
    } catch (error) {
      if (this.commandFailed(definition, error)) this.logCommand(definition, request);
      return undefined;
    }
    if (isPromiseLike(running)) {
      return Promise.resolve(running).then(
        () => this.logCommand(definition, request),
        (error: unknown) => {
          if (this.commandFailed(definition, error)) this.logCommand(definition, request);
        },
      );
    }
    this.logCommand(definition, request);
    return undefined;
  }

  /**
   * Answers a command that threw: a filesystem error is a reply (and the command is still logged: true),
   * anything else a bug that closes the session (false).
   */
  private commandFailed(definition: CommandDefinition, error: unknown): boolean {
    if (isFilesystemError(error) || isPathOutsideRootError(error) || errorCode(error) !== undefined) {
      this.replyFilesystemError(error);
      return true;
    }
    this.logBug(`command ${definition.name} failed`, error);
    this.reply(421, 'Internal error; closing control connection.');
    this.close('internal error');
    return false;
  }

  private logCommand(definition: CommandDefinition, request: CommandRequest): void {
    if (LOGGED_COMMANDS.has(definition.name)) {
      const arg = request.arg ?? '';
      this.options.logger.info(`${this.logPrefix} ${definition.name} ${arg} ${this.lastReplyCode}`);
    }
  }

  private lookup(parsed: ParsedCommand): CommandDefinition | undefined {
    const direct = this.commands.get(parsed.name);
    if (direct !== undefined) return direct;
    const suffix = parsed.name.slice(-4);
    if (URGENT_COMMANDS.includes(suffix)) return this.commands.get(suffix);
    return undefined;
  }

  /**
   * Argument, login, plugin, containment and permission checks, in pyftpdlib's order. Only the path
   * check (which asks the filesystem) makes it asynchronous.
   */
  private prepare(
    definition: CommandDefinition,
    parsed: ParsedCommand,
  ): CommandRequest | undefined | Promise<CommandRequest | undefined> {
    const arg = parsed.arg;
    const hasArg = arg !== undefined && arg !== '';
    if (definition.arg === 'required' && !hasArg) {
      this.reply(501, 'Syntax error: command needs an argument.');
      return undefined;
    }
    if (definition.arg === 'none' && hasArg) {
      this.reply(501, 'Syntax error: command does not accept arguments.');
      return undefined;
    }
    if (definition.requiresLogin && !this.authenticated) {
      this.reply(530, 'Log in with USER and PASS first.');
      return undefined;
    }
    const { plugins } = this.options;
    for (let i = 0; i < plugins.length; i++) {
      const plugin = plugins[i]!;
      let refusal: Refusal | undefined;
      try {
        refusal = plugin.beforeCommand?.(this, { name: definition.name, arg });
      } catch (error) {
        this.logBug(`plugin ${plugin.name} beforeCommand failed`, error);
        refusal = { code: 451, text: 'Requested action aborted: local error in processing.' };
      }
      if (refusal !== undefined) {
        this.reply(refusal.code, refusal.text);
        return undefined;
      }
    }
    const rule = definition.path ?? (definition.perm === undefined ? 'none' : 'arg-or-cwd');
    if (rule === 'none' || !this.authenticated) {
      return { name: definition.name, arg, virtualPath: '', path: '', firstWord: '' };
    }
    let pathArg: string;
    let firstWord = '';
    switch (rule) {
      case 'arg-or-root':
        pathArg = hasArg ? arg : '/';
        break;
      case 'parent':
        pathArg = '..';
        break;
      case 'list':
        pathArg = hasArg && !['-a', '-l', '-al', '-la'].includes(arg.toLowerCase()) ? arg : this.cwd;
        break;
      case 'second': {
        const space = hasArg ? arg.indexOf(' ') : -1;
        if (space < 0) {
          this.reply(501, 'Syntax error: command needs two arguments.');
          return undefined;
        }
        firstWord = arg!.slice(0, space);
        pathArg = arg!.slice(space + 1);
        break;
      }
      default:
        pathArg = hasArg ? arg : this.cwd;
    }
    return this.checkPath(pathArg, definition.perm).then((checked) =>
      checked === undefined
        ? undefined
        : { name: definition.name, arg, virtualPath: checked.virtualPath, path: checked.path, firstWord },
    );
  }

  /**
   * Normalises a client path, resolves it through the filesystem (containment) and checks a permission
   * letter on it, replying 550 on failure. Every path-taking command goes through here.
   */
  async checkPath(
    clientPath: string,
    perm: PermissionLetter | undefined,
  ): Promise<{ virtualPath: string; path: string } | undefined> {
    const virtualPath = normalizeVirtualPath(this.cwd, clientPath);
    let path: string;
    try {
      path = await this.fs.resolve(virtualPath);
    } catch (error) {
      this.replyFilesystemError(error);
      return undefined;
    }
    if (perm !== undefined && !this.hasPerm(perm, path)) {
      this.reply(550, 'Not enough privileges.');
      return undefined;
    }
    return { virtualPath, path };
  }

  /** True when the logged-in user holds `perm` on the resolved `path`. */
  hasPerm(perm: PermissionLetter, path?: string): boolean {
    if (!this.authenticated || this.username === undefined) return false;
    try {
      return this.options.authorizer.hasPerm(this.username, perm, path);
    } catch (error) {
      this.logBug('authorizer.hasPerm failed', error);
      return false;
    }
  }

  // ---- login ---------------------------------------------------------------------------------

  /** Installs the filesystem of a user who just logged in. Used by PASS. */
  setLoggedIn(username: string, filesystem: FileSystem): void {
    this.username = username;
    this.filesystem = filesystem;
    this.authenticated = true;
    this.cwd = '/';
  }

  /**
   * Forgets the logged-in user (USER while logged in, REIN): fires `logout`, clears the account and the
   * per-login state. A transfer already moving bytes is left to finish.
   */
  flushAccount(): void {
    const wasLoggedIn = this.authenticated && this.username !== undefined;
    const username = this.username;
    this.authenticated = false;
    this.username = undefined;
    this.filesystem = undefined;
    this.loginAttempts = 0;
    this.cwd = '/';
    this.transferType = 'ascii';
    this.restPosition = 0;
    this.renameFrom = undefined;
    this.enabledFacts = undefined;
    if (!this.transfers.active) this.closeDataChannel();
    const { plugins } = this.options;
    for (let i = 0; i < plugins.length; i++) {
      const plugin = plugins[i]!;
      try {
        plugin.accountFlushed?.(this);
      } catch (error) {
        this.logBug(`plugin ${plugin.name} accountFlushed failed`, error);
      }
    }
    if (wasLoggedIn && username !== undefined) this.emit('logout', this, username);
  }

  // ---- data channel --------------------------------------------------------------------------

  /**
   * Replaces the data channel with a new one (closing any previous listener, connector or connection).
   * Returns undefined, having replied `425`, when the connection budget is spent.
   */
  openDataChannel(): DataChannel | undefined {
    this.closeDataChannel();
    if (!this.host.acquireConnection()) {
      this.reply(425, "Too many connections. Can't open data channel.");
      return undefined;
    }
    this.dataBudgetHeld = true;
    const channel = new DataChannel(
      {
        passivePorts: this.options.passivePorts,
        passiveAcceptTimeout: this.options.passiveAcceptTimeoutMs,
        activeConnectTimeout: this.options.activeConnectTimeoutMs,
        permitForeignAddresses: this.options.permitForeignAddresses,
        backlog: this.options.backlog,
        tcpNoDelay: this.options.tcpNoDelay,
      },
      this.remoteAddress,
      {
        passiveTimeout: () => {
          if (this.dataChannel === channel) this.closeDataChannel();
          this.reply(421, 'Passive data channel timed out.');
        },
        foreignConnection: (address, port) => {
          this.options.logger.warn(
            `${this.logPrefix} Rejected data connection from foreign address ${address}:${port}.`,
          );
          this.reply(425, `Rejected data connection from foreign address ${address}:${port}.`);
        },
        connected: (socket) => this.transfers.onDataConnected(channel, socket),
        passiveRangeExhausted: () =>
          this.options.logger.warn(
            "Can't find a valid passive port in the configured range. A random kernel-assigned port will be used.",
          ),
      },
    );
    this.dataChannel = channel;
    return channel;
  }

  /** Closes the data channel (if any) and returns its connection to the budget. */
  closeDataChannel(): void {
    const channel = this.dataChannel;
    this.dataChannel = undefined;
    channel?.close();
    if (this.dataBudgetHeld) {
      this.dataBudgetHeld = false;
      this.host.releaseConnection();
    }
  }

  /** Starts (or queues until the data connection exists) a transfer; see {@link TransferRunner}. */
  startTransfer(transfer: PendingTransfer): void {
    this.transfers.start(transfer);
  }

  // ---- timers --------------------------------------------------------------------------------

  /** Restarts the control idle timer (suspended while a transfer runs). */
  resetIdleTimer(): void {
    if (this.options.timeoutMs <= 0 || this.closing || this.ending || this.transfers.active) {
      this.suspendIdleTimer();
      return;
    }
    // A command only notes the time. The timer, armed for the first deadline, re-arms itself for what is
    // left when it fires early: re-arming a Node timer for every command cost more than most commands.
    // Arming needs no clock: the timer's own start is the activity, and it fires for good unless a later
    // command noted its time (a clock read costs a system call on some machines).
    if (this.idleTimer === undefined) {
      this.activeAt = Number.NEGATIVE_INFINITY;
      this.idleTimer = setTimeout(this.onIdleTimeout, this.options.timeoutMs);
    } else {
      this.activeAt = monotonicMs();
    }
  }

  /** Stops the control idle timer while a transfer moves bytes. */
  suspendIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  // ---- shutdown ------------------------------------------------------------------------------

  /**
   * QUIT: stops reading commands; the connection closes once the running transfer (if any) ends and
   * the replies are flushed.
   */
  quit(): void {
    this.quitPending = true;
    this.queue.length = 0;
    if (!this.transfers.active) this.end();
  }

  /** Called by the transfer machinery when a transfer finished. */
  transferFinished(): void {
    if (this.quitPending) {
      this.end();
      return;
    }
    this.resetIdleTimer();
  }

  /** Flushes pending replies, then closes (after at most two seconds if the client does not read them). */
  end(): void {
    if (this.closing || this.ending) return;
    this.ending = true;
    const socket = this.socket;
    if (socket.writableLength === 0 && socket === this.rawSocket) {
      // Every reply is with the kernel already: closing the socket sends them, then the FIN.
      this.close('session ended');
      return;
    }
    // Replies still buffered mean a client that is not reading, so the wait for them is bounded. A TLS
    // stream is always given the bound (its close_notify goes out after the replies).
    socket.end();
    socket.on('finish', this.onEndFlushed);
    this.suspendIdleTimer();
    this.endTimer = setTimeout(this.onEndFlushed, END_FLUSH_TIMEOUT_MS);
    this.endTimer.unref();
  }

  /** Closes everything at once: data channel, transfer, control connection. Idempotent. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closing = true;
    this.closed = true;
    this.queue.length = 0;
    this.suspendIdleTimer();
    if (this.endTimer !== undefined) clearTimeout(this.endTimer);
    this.endTimer = undefined;
    this.transfers.abortForClose();
    this.closeDataChannel();
    // The listeners stay: a destroyed socket emits nothing but 'close' (and perhaps an 'error'), which
    // find the session closed, and the socket goes with the session.
    this.socket.destroy();
    if (this.socket !== this.rawSocket) this.rawSocket.destroy();
    const { logger } = this.options;
    if (isLevelEnabled(logger, 'debug')) logger.debug(`${this.logPrefix} closing: ${reason}`);
    logger.info(`${this.logPrefix} FTP session closed (disconnect).`);
    this.emit('disconnect', this);
  }

  // ---- seams ---------------------------------------------------------------------------------

  /**
   * Upgrades the control connection in place (AUTH TLS). Reading stops, everything the client pipelined
   * behind the current command is discarded (never executed in the new context), and `upgrade` returns
   * the stream that replaces the socket.
   */
  async upgradeControl(upgrade: (socket: Duplex) => Promise<Duplex>): Promise<void> {
    const old = this.socket;
    this.detach(old);
    old.on('error', ignoreError);
    this.queue.length = 0;
    this.splitter.discard();
    const upgraded = await upgrade(old);
    if (this.closed) {
      upgraded.destroy();
      return;
    }
    this.socket = upgraded;
    this.attach(upgraded);
  }

  /** Delivers an event to the server's listeners (which can never harm this session). */
  emit<K extends FtpEventName>(event: K, ...args: FtpEvents[K]): void {
    this.host.emit(event, ...args);
  }

  /** Logs an unexpected error with the session id. */
  logBug(what: string, error: unknown): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.options.logger.error(`${this.logPrefix} [${this.id}] ${what}: ${detail}`);
  }
}

/**
 * Milliseconds on the monotonic clock `performance.now()` reads (only differences are used), without
 * the brand check that `performance.now()` makes on every call.
 */
function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}

function waitForDrain(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
