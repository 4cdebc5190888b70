import type { ResolvedOptions } from '../options.js';
import { BUILTIN_COMMANDS } from './builtin.js';
import type { CommandDefinition } from './types.js';

/** Commands by name (`RETR`, `SITE CHMOD`). */
export type CommandTable = ReadonlyMap<string, CommandDefinition>;

const cache = new WeakMap<ResolvedOptions, CommandTable>();

/**
 * The command table for a set of options: the built-ins, then `options.commands`, then each plugin's
 * commands; a later definition replaces an earlier one of the same name. Built once per options object.
 */
export function buildCommandTable(options: ResolvedOptions): CommandTable {
  const cached = cache.get(options);
  if (cached !== undefined) return cached;
  const table = new Map<string, CommandDefinition>();
  const add = (definition: CommandDefinition): void => {
    table.set(definition.name.toUpperCase(), definition);
  };
  for (const definition of BUILTIN_COMMANDS) add(definition);
  for (const definition of options.commands) add(definition);
  for (const plugin of options.plugins) for (const definition of plugin.commands ?? []) add(definition);
  cache.set(options, table);
  return table;
}
