import { defineConfig } from 'tsup';

/**
 * How every package builds its JavaScript: ESM for Node 22. Dependencies and peer dependencies (core,
 * for plugins) stay external, which tsup does by reading each package.json. Declarations are not
 * built here but by one `tsc --build` over tsconfig.build.json (the package's `build` script runs
 * it after tsup): tsup's per-package declaration bundling type-checked core again in every package.
 */
export function packageBuild(entry: Record<string, string>) {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: false,
    clean: true,
    sourcemap: true,
    target: 'node22',
    // Keep `node:` in imports: a bundler in a consumer's app then cannot mistake `crypto` for a package.
    removeNodeProtocol: false,
  });
}
