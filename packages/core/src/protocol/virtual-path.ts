import { posix } from 'node:path';

/**
 * pyftpdlib's `ftpnorm`: the absolute virtual path a client means by `path` when its working directory
 * is `cwd`. The result always starts with `/`, has no `.`, `..`, empty or trailing segments, and never
 * climbs above `/`. Backslashes are ordinary characters.
 */
export function normalizeVirtualPath(cwd: string, path: string): string {
  const joined = path.startsWith('/') ? path : `${cwd}/${path}`;
  let normalized = posix.normalize(joined);
  if (!normalized.startsWith('/')) normalized = `/${normalized}`;
  if (normalized.length > 1 && normalized.endsWith('/')) normalized = normalized.slice(0, -1);
  return normalized;
}

/** The last segment of a virtual path (`/` for the root). */
export function virtualBasename(path: string): string {
  return path === '/' ? '/' : posix.basename(path);
}
