/**
 * A problem with what the user asked for (a bad option value, a missing source, a state file
 * that cannot be used): the command line prints its message as one line and exits with 2.
 * Any module may throw it; only the command line catches it.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
