/**
 * Dictionary coding of strings as small integers: logs repeat a handful of services and
 * messages, so a batch carries one id per event plus its few distinct strings, and a task's
 * state keys its counts by id instead of hashing the same string once per event.
 */

/** A string whose code can be remembered on the string's own entry (the scanner's interned strings). */
export interface CodableString {
  readonly text: string;
  /** The coder that coded it last; its `code` is valid only for that coder. */
  codedBy: StringCodes | undefined;
  code: number;
}

/**
 * Codes strings as 0, 1, 2, … in order of first appearance; `values[code]` is the string.
 * Used for a batch's columns (where bytes are read) and for the names a task's state keys
 * its counts by.
 *
 * With a `limit`, at most that many strings besides `overflow` get codes of their own; once
 * they have, every new string gets the code of `overflow` (see `service-limit.ts`), so
 * the values never exceed `limit + 1`, in whatever order they arrive.
 */
export class StringCodes {
  readonly values: string[] = [];
  private readonly byText = new Map<string, number>();
  private foldedCount = 0;

  constructor(
    /** Strings (besides `overflow`) coded apart; the rest share `overflow`'s code. */
    readonly limit = Number.POSITIVE_INFINITY,
    /** The string that new strings past the limit are coded as. */
    readonly overflow = '',
  ) {}

  /** The code of `text`, given the next one when it is new (or `overflow`'s past the limit). */
  code(text: string): number {
    let code = this.byText.get(text);
    if (code === undefined) {
      if (this.limit !== Number.POSITIVE_INFINITY && text !== this.overflow && this.full) {
        this.foldedCount += 1;
        return this.code(this.overflow);
      }
      code = this.values.length;
      this.byText.set(text, code);
      this.values.push(text);
    }
    return code;
  }

  /** Whether new strings would now be coded as `overflow`. */
  get full(): boolean {
    const kept = this.values.length - (this.byText.has(this.overflow) ? 1 : 0);
    return kept >= this.limit;
  }

  /** Whether coding `texts` now would code one of them as `overflow`. */
  wouldFold(texts: readonly string[]): boolean {
    if (this.limit === Number.POSITIVE_INFINITY) return false;
    const kept = this.values.length - (this.byText.has(this.overflow) ? 1 : 0);
    let fresh = 0;
    for (const text of texts) {
      if (text !== this.overflow && !this.byText.has(text)) fresh += 1;
    }
    return kept + fresh > this.limit;
  }

  /** Whether a new string was coded as `overflow` by this coder (a count it does not save). */
  get overflowed(): boolean {
    return this.foldedCount > 0;
  }

  /** The code of an entry that remembers it: no hashing when the entry was coded here before. */
  codeEntry(entry: CodableString): number {
    if (entry.codedBy !== this) {
      entry.codedBy = this;
      entry.code = this.code(entry.text);
    }
    return entry.code;
  }

  /** The code of `text` if it has one. */
  find(text: string): number | undefined {
    return this.byText.get(text);
  }

  get size(): number {
    return this.values.length;
  }

  /**
   * For each code of `names` (another coder's values, such as a batch's), the code here:
   * what turns a batch's ids into a state's ids with one lookup per distinct string.
   */
  translate(names: readonly string[]): Uint32Array {
    const codes = new Uint32Array(names.length);
    for (let i = 0; i < names.length; i++) codes[i] = this.code(names[i]!);
    return codes;
  }
}
