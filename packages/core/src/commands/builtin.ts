import { DATA_SETUP_COMMANDS } from './data-setup.js';
import { FILE_COMMANDS } from './files.js';
import { INFO_COMMANDS } from './info.js';
import { LISTING_COMMANDS } from './listings.js';
import { LOGIN_COMMANDS } from './login.js';
import { SETTINGS_COMMANDS } from './settings.js';
import { TRANSFER_COMMANDS } from './transfers.js';
import type { CommandDefinition } from './types.js';

/** Every built-in command. */
export const BUILTIN_COMMANDS: readonly CommandDefinition[] = [
  ...LOGIN_COMMANDS,
  ...SETTINGS_COMMANDS,
  ...FILE_COMMANDS,
  ...DATA_SETUP_COMMANDS,
  ...TRANSFER_COMMANDS,
  ...LISTING_COMMANDS,
  ...INFO_COMMANDS,
];
