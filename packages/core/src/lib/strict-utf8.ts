// Strict UTF-8 decoding: text only from bytes that are valid UTF-8, else the line of the first bad byte.

/**
 * Fatal, so no byte is silently replaced by U+FFFD (two different files would read as one text);
 * `ignoreBOM` keeps a leading byte order mark in the text, for the caller to refuse or accept.
 */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const NEWLINE = 0x0a;

export type StrictUtf8 =
  | { ok: true; text: string }
  | {
      ok: false;
      /** The valid lines before the bad one, each with its `\n`: `''` when line 1 is bad. */
      text: string;
      /** 1-based: lines end at each `\n` byte, which no multi-byte UTF-8 sequence contains. */
      line: number;
    };

/** Decodes `bytes` as UTF-8, refusing invalid sequences, overlong forms, surrogates and truncation. */
export function decodeStrictUtf8(bytes: Uint8Array): StrictUtf8 {
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return firstBadLine(bytes);
  }
}

/** Only on failure: decodes line by line to name where the bytes stop being UTF-8. */
function firstBadLine(bytes: Uint8Array): Extract<StrictUtf8, { ok: false }> {
  for (let start = 0, line = 1; start <= bytes.length; line++) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline === -1 ? bytes.length : newline;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return { ok: false, text: decoder.decode(bytes.subarray(0, start)), line };
    }
    start = end + 1;
  }
  // A `\n` byte is never part of a multi-byte sequence, so a whole that fails has a line that fails.
  throw new Error('strict UTF-8: the bytes failed to decode, yet every line decoded');
}
