/**
 * The shape of a contract check: a name and a function that passes, fails with a
 * {@link ContractViolation}, or reports that it does not apply.
 *
 * @module
 */

/** Thrown inside a check body when the check does not apply to the plugin (a missing capability). */
export class SkipCheck extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipCheck';
  }
}

/** Ends the current check as skipped. */
export function skipCheck(reason: string): never {
  throw new SkipCheck(reason);
}

/** The result of {@link ContractCheck.run}: passed, or skipped with a reason. Failures reject. */
export type CheckResult =
  | { readonly status: 'passed' }
  | { readonly status: 'skipped'; readonly reason: string };

/** One runnable check of a contract suite. */
export interface ContractCheck {
  /** A sentence naming the behaviour, e.g. `rmdir: a non-empty directory fails with ENOTEMPTY`. */
  readonly name: string;
  /** Set when the plugin author skipped the check by name (options.skip). */
  readonly skipped?: string;
  /** Builds a fresh fixture, runs the check, cleans up. Rejects with a ContractViolation on failure. */
  run(): Promise<CheckResult>;
}

/** A check body as the suites declare it. */
export interface CheckDefinition<Context> {
  readonly name: string;
  run(context: Context): Promise<void>;
}

/** Runs `body`, turning a {@link SkipCheck} into a skipped result. */
export async function runBody(body: () => Promise<void>): Promise<CheckResult> {
  try {
    await body();
    return { status: 'passed' };
  } catch (error) {
    if (error instanceof SkipCheck) return { status: 'skipped', reason: error.message };
    throw error;
  }
}
