/**
 * The filesystem contract as a list of runnable checks.
 *
 * @module
 */
import { fail, showError } from './assert.js';
import { type CheckDefinition, type ContractCheck, runBody } from './check.js';
import { READ_IO_CHECKS, WRITE_IO_CHECKS } from './fs-checks-io.js';
import { LISTING_CHECKS } from './fs-checks-listing.js';
import { PATH_CHECKS } from './fs-checks-paths.js';
import { SENDFILE_CHECKS } from './fs-checks-sendfile.js';
import { SYNC_WRITE_CHECKS } from './fs-checks-sync-write.js';
import { READ_ONLY_CHECKS, TREE_CHECKS } from './fs-checks-tree.js';
import { type FileSystemContractOptions, FsCheckContext } from './fs-fixture.js';

/** The names of every filesystem check, for `options.skip` and for reports. */
export function fileSystemCheckNames(options: { readOnly?: boolean } = {}): string[] {
  return definitions(options.readOnly === true).map((check) => check.name);
}

function definitions(readOnly: boolean): readonly CheckDefinition<FsCheckContext>[] {
  return readOnly
    ? [...PATH_CHECKS, ...LISTING_CHECKS, ...READ_IO_CHECKS, ...SENDFILE_CHECKS, ...READ_ONLY_CHECKS]
    : [
        ...PATH_CHECKS,
        ...LISTING_CHECKS,
        ...READ_IO_CHECKS,
        ...SENDFILE_CHECKS,
        ...WRITE_IO_CHECKS,
        ...SYNC_WRITE_CHECKS,
        ...TREE_CHECKS,
      ];
}

/**
 * Every check of the filesystem contract, ready to run: each builds a fresh fixture with
 * `options.create()`, runs, and calls the fixture's `cleanup()`. `describeFileSystemContract` turns them
 * into vitest tests; call them directly to run the contract elsewhere.
 *
 * @throws TypeError when `options.skip` names a check that does not exist.
 */
export function fileSystemChecks(options: FileSystemContractOptions): ContractCheck[] {
  const all = definitions(options.readOnly === true);
  const skip = options.skip ?? {};
  const names = new Set(all.map((check) => check.name));
  for (const name of Object.keys(skip)) {
    if (!names.has(name)) throw new TypeError(`fileSystemChecks: options.skip names no check: "${name}"`);
  }
  return all.map((definition) => {
    const skipped = skip[definition.name];
    return {
      name: definition.name,
      ...(skipped === undefined ? {} : { skipped }),
      run: () => runFsCheck(definition, options),
    };
  });
}

async function runFsCheck(definition: CheckDefinition<FsCheckContext>, options: FileSystemContractOptions) {
  let fixture: Awaited<ReturnType<FileSystemContractOptions['create']>>;
  try {
    fixture = await options.create();
  } catch (error) {
    fail(`options.create() failed: ${showError(error)}`, error);
  }
  if (
    typeof fixture !== 'object' ||
    fixture === null ||
    typeof fixture.fs !== 'object' ||
    fixture.fs === null
  ) {
    fail('options.create() must return { fs, cleanup?, seed?, makeSymlink? }');
  }
  try {
    return await runBody(() => definition.run(new FsCheckContext(fixture, options)));
  } finally {
    await fixture.cleanup?.();
  }
}
