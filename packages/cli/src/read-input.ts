// Reads the files a command is given, turning failures into input errors that name the file.
import { readFile } from 'node:fs/promises';
import { inputError } from './exit-codes.js';

/** Fatal: a byte that is not UTF-8 is refused, never replaced by U+FFFD, so two different files never read as one. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(code ?? error);
    throw inputError(`cannot read ${what} ${path}: ${why}`);
  }
}

/** The file as UTF-8 text; a file that is not UTF-8 is an input error. */
export async function readText(path: string, what: string): Promise<string> {
  const bytes = await readBytes(path, what);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw inputError(`${what} ${path} is not valid UTF-8 text`);
  }
}
