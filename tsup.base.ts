import { defineConfig } from 'tsup';

/**
 * How every package builds: ESM with declarations for Node 22. Dependencies and peer dependencies
 * (core, for plugins) stay external, which tsup does by reading each package.json.
 */
export function packageBuild(entry: Record<string, string>) {
  return defineConfig({ entry, format: ['esm'], dts: true, clean: true, sourcemap: true, target: 'node22' });
}
