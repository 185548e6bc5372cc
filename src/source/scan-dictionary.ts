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
  /** The encoded bytes, to tell apart strings whose hashes collide. */
  readonly bytes: DataView;

  constructor(
    readonly hash: number,
    bytes: Uint8Array,
    readonly text: string,
    /** The bytes were not valid UTF-8 and `text` holds U+FFFD in place of the bad ones. */
    readonly badUtf8: boolean,
  ) {
    this.bytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

/**
 * Decodes the strings of one input buffer, each distinct byte sequence once: log events
 * repeat a handful of services and messages, so after the first occurrence a string costs a
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
  private readonly view: DataView;

  constructor(
    /** The bytes the scanner reads; a Buffer so that decoding is one native call. */
    private readonly source: Buffer,
  ) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  /**
   * The string of `source[start, end)`, decoded as UTF-8 with U+FFFD for invalid bytes
   * (exactly as `Buffer.toString('utf8')` decodes the whole input), given whether any of
   * those bytes is non-ASCII.
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
      if (entry.hash === hash && this.holds(entry.bytes, start, end)) return entry;
    }
    const entry = this.decode(start, end, hash, nonAscii);
    if (free >= 0 && end - start <= MAX_INTERNED_BYTES && this.size < MAX_ENTRIES) {
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

  private holds(bytes: DataView, start: number, end: number): boolean {
    const length = end - start;
    if (bytes.byteLength !== length) return false;
    const view = this.view;
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      if (bytes.getInt32(i, true) !== view.getInt32(start + i, true)) return false;
    }
    for (; i < length; i++) if (bytes.getUint8(i) !== view.getUint8(start + i)) return false;
    return true;
  }

  private decode(start: number, end: number, hash: number, nonAscii: boolean): DictionaryEntry {
    const source = this.source;
    // A view, not a copy: the dictionary lives only while its input is scanned.
    const bytes = source.subarray(start, end);
    if (!nonAscii)
      return new DictionaryEntry(hash, bytes, source.toString('latin1', start, end), false);
    return new DictionaryEntry(hash, bytes, source.toString('utf8', start, end), !isUtf8(bytes));
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
