/**
 * Reply formatting (RFC 959 section 4.2): `NNN text` on one line, or `NNN-first` ... `NNN last` for
 * several lines. Reply texts never carry a bare CR or LF from client data into the stream.
 */

/** Replaces CR and LF inside one reply line so that client-supplied names cannot forge replies. */
function sanitizeLine(line: string): string {
  // Almost no reply holds either: looking is cheaper than a regex replace on every reply.
  return line.indexOf('\r') < 0 && line.indexOf('\n') < 0 ? line : line.replace(/[\r\n]/g, ' ');
}

/** One single-line reply: `NNN text\r\n`. */
export function formatReply(code: number, text: string): string {
  return `${code} ${sanitizeLine(text)}\r\n`;
}

/**
 * A multi-line reply: the first line `NNN-<first>`, middle lines as given (a line that starts with a digit
 * is indented by one space so that it cannot be mistaken for an end line), the last `NNN <last>`.
 */
export function formatMultilineReply(code: number, lines: readonly string[]): string {
  if (lines.length <= 1) return formatReply(code, lines[0] ?? '');
  let out = `${code}-${sanitizeLine(lines[0] ?? '')}\r\n`;
  for (let i = 1; i < lines.length - 1; i++) {
    const line = sanitizeLine(lines[i] ?? '');
    out += /^\d/.test(line) ? ` ${line}\r\n` : `${line}\r\n`;
  }
  out += `${code} ${sanitizeLine(lines[lines.length - 1] ?? '')}\r\n`;
  return out;
}

/**
 * The banner (220), login (230) and quit (221) messages, as pyftpdlib sends them: a text longer than 75
 * characters becomes `NNN-<text>\r\nNNN \r\n`; a text with newlines becomes a multi-line reply.
 */
export function formatMessageReply(code: number, text: string): string {
  if (text.indexOf('\n') >= 0) return formatMultilineReply(code, text.split(/\r?\n/));
  if (text.length > 75) return `${code}-${sanitizeLine(text)}\r\n${code} \r\n`;
  return formatReply(code, text);
}

/** Doubles embedded quotes, for pathnames inside `257` replies (RFC 959 appendix 2). */
export function quotePath(path: string): string {
  return path.replaceAll('"', '""');
}
