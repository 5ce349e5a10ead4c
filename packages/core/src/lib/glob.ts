// Glob patterns for policy matches: `*` matches any run of characters; compiled once.
/**
 * `*` matches any run of characters, dots and slashes included; nothing else is special.
 * Compiled to substring checks rather than regular expressions so large policies stay cheap.
 */
export type GlobMatcher = (value: string) => boolean;

export function compileGlob(pattern: string): GlobMatcher {
  const parts = pattern.split('*');
  if (parts.length === 1) return (value) => value === pattern;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1).filter((part) => part.length > 0);
  const minLength = first.length + last.length + middle.reduce((sum, part) => sum + part.length, 0);
  return (value) => {
    if (value.length < minLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    let from = first.length;
    const end = value.length - last.length;
    for (const part of middle) {
      const at = value.indexOf(part, from);
      if (at === -1 || at + part.length > end) return false;
      from = at + part.length;
    }
    return true;
  };
}

export function isExact(pattern: string): boolean {
  return !pattern.includes('*');
}

/** The literal prefix of a pattern whose only `*` is its last character, else null. */
export function trailingStarPrefix(pattern: string): string | null {
  const star = pattern.indexOf('*');
  return star === pattern.length - 1 ? pattern.slice(0, -1) : null;
}
