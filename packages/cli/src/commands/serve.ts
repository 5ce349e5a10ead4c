// countersign serve: hands its arguments to serve() from @countersign/http, when that is installed.
import { ExitCode } from '../exit-codes.js';
import { type Io, write } from '../io.js';

/** What `countersign serve` needs from `@countersign/http`. */
export type ServeFunction = (argv: string[]) => Promise<number>;

/** Loads `@countersign/http`; injectable so tests can stand in for it. */
export type HttpLoader = () => Promise<unknown>;

const HTTP_PACKAGE = '@countersign/http';

/** A variable specifier keeps the import dynamic: every other command works without the package. */
export const loadHttp: HttpLoader = () => import(HTTP_PACKAGE);

export async function serveCommand(argv: readonly string[], io: Io, load: HttpLoader): Promise<number> {
  let module: unknown;
  try {
    module = await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ERR_MODULE_NOT_FOUND' ? 'it is not installed' : `it failed to load (${String(error)})`;
    await write(
      io.stderr,
      `countersign serve: ${HTTP_PACKAGE} is needed, but ${why}; install it next to @countersign/cli\n`,
    );
    return ExitCode.Input;
  }
  const serve = (module as { serve?: unknown } | null)?.serve;
  if (typeof serve !== 'function') {
    await write(
      io.stderr,
      `countersign serve: this version of ${HTTP_PACKAGE} has no serve(argv) export; upgrade it to one that does\n`,
    );
    return ExitCode.Input;
  }
  return (serve as ServeFunction)([...argv]);
}
