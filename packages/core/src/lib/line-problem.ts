// Why a JSON line is not the canonical encoding it should be: a repeated member, or the first difference.

/**
 * Describes how `line` (valid JSON) departs from `canonical`, the encoding it should equal byte
 * for byte. Only called once they differ, so it favours precision over speed.
 */
export function lineProblem(line: string, canonical: string): string {
  const repeated = repeatedMember(line);
  if (repeated !== null) return `has member "${repeated}" more than once`;
  let at = 0;
  while (at < line.length && line[at] === canonical[at]) at++;
  const found = line.length === at ? 'the end of the line' : JSON.stringify(line.slice(at, at + 24));
  const wanted =
    canonical.length === at ? 'the end of the line' : JSON.stringify(canonical.slice(at, at + 24));
  return (
    `is not the canonical encoding of its entry (RFC 8785: members in order, no whitespace): ` +
    `at character ${at + 1}, ${found} where ${wanted} belongs`
  );
}

/**
 * The path of the first member name that appears twice in one object of `json` (`approver`,
 * `action.name`, `list[].id`), or null. `JSON.parse` keeps the last silently; this sees both.
 */
export function repeatedMember(json: string): string | null {
  // One frame per open object or array: its path, and for an object the names seen so far.
  const frames: { path: string; names: Set<string> | null; last: string }[] = [];
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const token = json.slice(i, end + 1);
      i = end + 1;
      while (i < json.length && ' \t\n\r'.includes(json[i]!)) i++;
      const frame = frames[frames.length - 1];
      if (frame?.names && json[i] === ':') {
        const name = JSON.parse(token) as string;
        const path = frame.path === '' ? name : `${frame.path}.${name}`;
        if (frame.names.has(name)) return path;
        frame.names.add(name);
        frame.last = path;
      }
      continue;
    }
    const parent = frames[frames.length - 1];
    if (c === '{') frames.push({ path: parent?.last ?? '', names: new Set(), last: '' });
    else if (c === '[') {
      const path = `${parent?.last ?? ''}[]`;
      frames.push({ path, names: null, last: path });
    } else if (c === '}' || c === ']') frames.pop();
    i++;
  }
  return null;
}
