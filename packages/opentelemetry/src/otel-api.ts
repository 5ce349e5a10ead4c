// Loads the optional @opentelemetry/api peer at run time, so an app without it loads this package and gets no telemetry.
import { createRequire } from 'node:module';

type Api = typeof import('@opentelemetry/api');

let loaded: Api | null | undefined;

/** The installed `@opentelemetry/api`, or null when the application has none. */
export function otelApi(): Api | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as Api;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
