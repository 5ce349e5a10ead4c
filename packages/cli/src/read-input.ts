// Reads the files a command is given, turning failures into input errors that name the file.
import { readFile } from 'node:fs/promises';
import { inputError } from './exit-codes.js';

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(code ?? error);
    throw inputError(`cannot read ${what} ${path}: ${why}`);
  }
}
