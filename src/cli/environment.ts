import { UsageError } from '../usage-error.js';

/**
 * The prefix of the environment variables that give options of `run` and `dashboard`
 * (`LOGSTREAM_SLIDING_WINDOW=30s`). Other names with it are ignored, not refused: other tools
 * and wrappers may set their own, and an old variable must not break a newer logstream.
 */
export const ENV_PREFIX = 'LOGSTREAM_';

/** The variable of an option: `slidingWindow` → `LOGSTREAM_SLIDING_WINDOW`. */
export function environmentName(option: string): string {
  return ENV_PREFIX + option.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
}

/** How a variable's text becomes what the option's parser takes. */
export type EnvironmentKind = 'flag' | 'list' | 'text';

const TRUE = ['1', 'true', 'yes'];
const FALSE = ['0', 'false', 'no'];

/**
 * The value of an option given by its variable, or undefined when the variable is unset or
 * empty (an empty variable is how a shell unsets one for a single command). A boolean is
 * 1/true/yes or 0/false/no; a repeatable option's values are separated by commas, except
 * commas inside braces, which belong to a glob (`*.{json,ndjson}`).
 */
export function environmentValue(
  text: string | undefined,
  kind: EnvironmentKind,
): boolean | string | string[] | undefined {
  if (text === undefined || text === '') return undefined;
  if (kind === 'flag') {
    const word = text.trim().toLowerCase();
    if (TRUE.includes(word)) return true;
    if (FALSE.includes(word)) return false;
    throw new UsageError(`'${text}' is not 1, true, yes, 0, false or no`);
  }
  if (kind === 'list') return splitOutsideBraces(text).filter((item) => item.trim() !== '');
  return text;
}

/** `a,{b,c},d` → `a`, `{b,c}`, `d`: split on the commas at brace depth 0. */
export function splitOutsideBraces(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '\\') index += 1;
    else if (char === '{') depth += 1;
    else if (char === '}' && depth > 0) depth -= 1;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
