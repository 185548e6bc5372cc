/** The typed arrays that hold a batch's or a state's columns. */
export type Column = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** Rows a per-service column starts with: most streams have a few services. */
export const MIN_SERVICE_ROWS = 16;

/** The power of two, at least {@link MIN_SERVICE_ROWS}, that holds `n` rows: amortised growth. */
export function capacityFor(n: number): number {
  let capacity = MIN_SERVICE_ROWS;
  while (capacity < n) capacity *= 2;
  return capacity;
}

/** A column of `capacity` values that starts with `column`'s (grown by the caller's rule). */
export function grown<T extends Column>(column: T, capacity: number): T {
  const larger = new (column.constructor as new (length: number) => T)(capacity);
  larger.set(column);
  return larger;
}

/**
 * The first `n` values: the column itself when it holds exactly `n`, otherwise a copy that
 * owns its buffer (so that it can be transferred to another thread alone).
 */
export function trimmed<T extends Column>(column: T, n: number): T {
  return (column.length === n ? column : column.slice(0, n)) as T;
}
