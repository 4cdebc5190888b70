import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The version of the `ftpd` command (`@ftpkit/ftpd`), read from its package.json. */
export const FTPD_VERSION: string = (require('../package.json') as { version: string }).version;
