import { isUtf8 } from 'node:buffer';
import type { CodableString, StringCodes } from '../../operators/string-codes.js';

/** Strings no longer than this are interned; longer ones are rarely repeated and cost memory. */
const MAX_INTERNED_BYTES = 512;
/** Distinct strings interned per dictionary; later ones are decoded each time they occur. */
const MAX_ENTRIES = 1 << 14;
/**
 * Slots probed from a string's home slot. The hash reads only a few words of a string, so
 * many distinct strings can share it; past this many they are decoded each time instead of
 * making every lookup walk a long run of slots.
 */
const MAX_PROBES = 8;
const INITIAL_SLOTS = 64;
const HASH_MULTIPLIER = 0x9e3779b1;
/**
 * Bytes from a string's start that choose its guess in {@link StringDictionary.recall}: long
 * enough to tell apart messages that differ only in a status code after 18 characters;
 * after a short string they are the JSON text that follows it, which repeats too.
 */
const GUESS_WINDOW = 24;
/** Guesses remembered per kind of string: 2^GUESS_BITS. */
const GUESS_BITS = 8;
const GUESS_SLOTS = 1 << GUESS_BITS;

/** One decoded string of the input, with what is derived from it computed at most once. */
export class DictionaryEntry implements CodableString {
  /**
   * The status code of this string read as a message, set by the scanner the first time it
   * needs it; negative until then (services are interned too and never need theirs).
   */
  status = -1;
  /** The string's code in the last batch coder that coded it (see {@link CodableString}). */
  codedBy: StringCodes | undefined = undefined;
  code = 0;

  constructor(
    readonly hash: number,
    /**
     * A copy of the string's bytes followed by its closing quote, which later occurrences are
     * compared with (in any later input: the dictionary outlives the buffer it was read in);
     * `undefined` for a string too long to be kept.
     */
    readonly bytes: DataView | undefined,
    /** Encoded bytes, without the quotes. */
    readonly length: number,
    readonly text: string,
    /** The bytes were not valid UTF-8 and `text` holds U+FFFD in place of the bad ones. */
    readonly badUtf8: boolean,
  ) {}
}

/**
 * Decodes the strings of the inputs a thread reads one after another ({@link read}), each
 * distinct byte sequence once: log events repeat a handful of services and messages, file
 * after file, so after the first occurrence a string costs a
 * hash-table probe and a comparison four bytes at a time instead of a decoder call and an
 * allocation. The hash mixes the length with the first, middle and last four bytes, which
 * tells apart the messages that differ only in a status code at the end, at a cost that does
 * not grow with the string. Open addressing with linear probing, bounded in entries, probes
 * and string length, so that inputs of unique messages do not grow it without limit.
 */
export class StringDictionary {
  private slots: (DictionaryEntry | undefined)[] = new Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private size = 0;
  private source: Buffer = Buffer.alloc(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  private end = 0;
  /**
   * The entry last read at a string whose first {@link GUESS_WINDOW} bytes hashed to the
   * slot, one table per kind of string (`kind * GUESS_SLOTS` on).
   */
  private guesses: (DictionaryEntry | undefined)[] = new Array(2 * GUESS_SLOTS);

  /**
   * Makes `source` the input that positions refer to from now on (a Buffer, so that decoding
   * is one native call). The strings of earlier inputs stay known; once the dictionary holds
   * its most entries it starts again empty, so that an input whose strings drift away from
   * the first ones still has its own repeated strings interned.
   */
  read(source: Buffer): this {
    this.source = source;
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
    this.end = source.length;
    if (this.size >= MAX_ENTRIES) {
      this.slots = new Array(INITIAL_SLOTS);
      this.mask = INITIAL_SLOTS - 1;
      this.size = 0;
      this.guesses = new Array(2 * GUESS_SLOTS);
    }
    return this;
  }

  /**
   * The entry of the string whose content starts at `start` (after its opening quote), when
   * it is the one last {@link remember}ed at a string whose start looked the same: its bytes
   * and its closing quote are all compared, so that a wrong guess is `undefined`, never a
   * wrong string. Cheaper than finding the end of the string and then {@link intern}ing it:
   * one pass over the bytes instead of two, and no probing.
   */
  recall(start: number, kind: 0 | 1): DictionaryEntry | undefined {
    const slot = this.guessSlot(start);
    if (slot < 0) return undefined;
    const entry = this.guesses[slot + kind * GUESS_SLOTS];
    if (entry === undefined) return undefined;
    // With the closing quote: the content holds no quote, so the string ends there.
    const length = entry.length + 1;
    if (start + length > this.end) return undefined;
    const view = this.view;
    const bytes = entry.bytes!;
    if (length >= 4) {
      // Whole words, the last one overlapping the one before when the length is not a multiple.
      const last = length - 4;
      for (let i = 0; i < last; i += 4) {
        if (bytes.getInt32(i, true) !== view.getInt32(start + i, true)) return undefined;
      }
      return bytes.getInt32(last, true) === view.getInt32(start + last, true) ? entry : undefined;
    }
    for (let i = 0; i < length; i++) {
      if (bytes.getUint8(i) !== view.getUint8(start + i)) return undefined;
    }
    return entry;
  }

  /** Makes `entry`, just read at `start`, the guess for strings that start like it. */
  remember(start: number, kind: 0 | 1, entry: DictionaryEntry): void {
    const slot = this.guessSlot(start);
    if (slot >= 0 && entry.bytes !== undefined) this.guesses[slot + kind * GUESS_SLOTS] = entry;
  }

  /** The guess slot of the bytes from `start`, or -1 too near the end of the input. */
  private guessSlot(start: number): number {
    if (start + GUESS_WINDOW > this.end) return -1;
    const view = this.view;
    // Each word by its own odd multiplier, so that the products are independent of each other.
    const hash =
      Math.imul(view.getInt32(start, true), 0x9e3779b1) ^
      Math.imul(view.getInt32(start + 4, true), 0x85ebca77) ^
      Math.imul(view.getInt32(start + 8, true), 0xc2b2ae3d) ^
      Math.imul(view.getInt32(start + 12, true), 0x27d4eb2f) ^
      Math.imul(view.getInt32(start + 16, true), 0x165667b1) ^
      Math.imul(view.getInt32(start + 20, true), 0xd3a2646d);
    return Math.imul(hash ^ (hash >>> 15), HASH_MULTIPLIER) >>> (32 - GUESS_BITS);
  }

  /**
   * The string of `source[start, end)`, decoded as UTF-8 with U+FFFD for invalid bytes
   * (exactly as `Buffer.toString('utf8')` decodes the whole input), given whether any of
   * those bytes is non-ASCII. `source[end]` is the string's closing quote: {@link recall}
   * compares it too.
   */
  intern(start: number, end: number, nonAscii: boolean): DictionaryEntry {
    const hash = this.hashOf(start, end);
    const slots = this.slots;
    const mask = this.mask;
    let free = -1;
    for (let probe = 0, slot = hash & mask; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      const entry = slots[slot];
      if (entry === undefined) {
        free = slot;
        break;
      }
      if (entry.hash === hash && this.holds(entry, start, end)) return entry;
    }
    const kept = free >= 0 && end - start <= MAX_INTERNED_BYTES && this.size < MAX_ENTRIES;
    const entry = this.decode(start, end, hash, nonAscii, kept);
    if (kept) {
      slots[free] = entry;
      this.size += 1;
      if (this.size * 2 > slots.length) this.grow();
    }
    return entry;
  }

  private hashOf(start: number, end: number): number {
    const length = end - start;
    const view = this.view;
    let hash = Math.imul(length, HASH_MULTIPLIER);
    if (length >= 4) {
      hash = Math.imul(hash ^ view.getInt32(start, true), HASH_MULTIPLIER);
      hash = Math.imul(hash ^ view.getInt32(end - 4, true), HASH_MULTIPLIER);
      if (length > 8) {
        const middle = start + ((length - 4) >> 1);
        hash = Math.imul(hash ^ view.getInt32(middle, true), HASH_MULTIPLIER);
      }
    } else {
      for (let i = start; i < end; i++) hash = Math.imul(hash ^ view.getUint8(i), HASH_MULTIPLIER);
    }
    return hash ^ (hash >>> 16);
  }

  private holds(entry: DictionaryEntry, start: number, end: number): boolean {
    const length = end - start;
    const bytes = entry.bytes;
    if (entry.length !== length || bytes === undefined) return false;
    const view = this.view;
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      if (bytes.getInt32(i, true) !== view.getInt32(start + i, true)) return false;
    }
    for (; i < length; i++) if (bytes.getUint8(i) !== view.getUint8(start + i)) return false;
    return true;
  }

  /** The entry of `source[start, end)`; with `kept`, holding a copy of its bytes to compare. */
  private decode(
    start: number,
    end: number,
    hash: number,
    nonAscii: boolean,
    kept: boolean,
  ): DictionaryEntry {
    const source = this.source;
    const length = end - start;
    // A copy, with the closing quote at `end`: the input is a reused buffer. Only for an
    // entry kept: past the bound, each string is decoded where it is and costs no more.
    const copy = kept ? new Uint8Array(source.subarray(start, end + 1)) : undefined;
    const bytes = copy && new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
    if (!nonAscii)
      return new DictionaryEntry(hash, bytes, length, source.toString('latin1', start, end), false);
    const text = source.toString('utf8', start, end);
    return new DictionaryEntry(hash, bytes, length, text, !isUtf8(source.subarray(start, end)));
  }

  private grow(): void {
    const old = this.slots;
    const slots: (DictionaryEntry | undefined)[] = new Array(old.length * 2);
    const mask = slots.length - 1;
    for (const entry of old) {
      if (entry === undefined) continue;
      let slot = entry.hash & mask;
      while (slots[slot] !== undefined) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
