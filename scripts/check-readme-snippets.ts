// The docs check CI runs: every ```ts block of every Markdown file compiles, all of them in one
// TypeScript program with the repo's strict settings, `@countersign/*` resolved to the sources.
// Markers, on the line(s) before a block (HTML comments: GitHub and npm do not render them):
//   <!-- snippet: partial -->           a deliberate fragment: not checked (keep these few)
//   <!-- snippet: prelude               code the block assumes (imports, `declare const store: Store;`),
//   import type { Store } from '…';     checked with it and reported at its own lines
//   -->
// A prelude line `...` stands for the block: `const options: Partial<CountersignOptions> = {`, `...`, `};`
// checks a block that is the inside of an object.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
/** Folders never searched for Markdown. */
const SKIP = new Set(['node_modules', 'dist', 'coverage']);

export interface Problem {
  /** The Markdown file (or source file), relative to the root. */
  file: string;
  line: number;
  message: string;
}

export interface Snippet {
  file: string;
  /** The code: the prelude's lines, then the block's. */
  code: string;
  /** The Markdown line (1-based) of each line of `code`. */
  lines: number[];
}

export interface Extracted {
  snippets: Snippet[];
  /** Blocks marked `partial`, not checked. */
  partial: number;
  problems: Problem[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^\s*<!--\s*snippet:\s*(\S+)/;

type Pending =
  | { kind: 'partial'; at: number }
  | { kind: 'prelude'; at: number; code: string[]; lines: number[] };

/** The TypeScript blocks of one Markdown file, with their preludes, and the problems with its markers. */
export function extractSnippets(markdown: string, file: string): Extracted {
  const text = markdown.split(/\r?\n/);
  const out: Extracted = { snippets: [], partial: 0, problems: [] };
  let pending: Pending | undefined;
  const stray = (marker: Pending) =>
    out.problems.push({
      file,
      line: marker.at,
      message: 'a snippet marker must come right before a ```ts block',
    });
  for (let i = 0; i < text.length; i += 1) {
    const line = text[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const [, indent = '', mark = '', lang = ''] = fence;
      const close = new RegExp(`^\\s*${mark[0] === '`' ? '`' : '~'}{${mark.length},}\\s*$`);
      let end = i + 1;
      while (end < text.length && !close.test(text[end]!)) end += 1;
      if (lang === 'ts' || lang === 'typescript') {
        if (pending?.kind === 'partial') out.partial += 1;
        else {
          const body = text
            .slice(i + 1, end)
            .map((code) => code.replace(new RegExp(`^ {0,${indent.length}}`), ''));
          // A prelude line `...` stands for the block, so the prelude can also close what it opens.
          const code = pending?.code ?? [];
          const lines = pending?.lines ?? [];
          const at = code.findIndex((prelude) => prelude.trim() === '...');
          const cut = at === -1 ? code.length : at;
          out.snippets.push({
            file,
            code: [...code.slice(0, cut), ...body, ...code.slice(cut + 1)].join('\n'),
            lines: [...lines.slice(0, cut), ...body.map((_, k) => i + 2 + k), ...lines.slice(cut + 1)],
          });
        }
      } else if (pending) stray(pending);
      pending = undefined;
      i = end;
      continue;
    }
    const marker = MARKER.exec(line);
    if (marker) {
      if (pending) stray(pending);
      pending = undefined;
      const kind = marker[1]!;
      const rest = line.slice(marker[0].length);
      if (kind === 'partial' || kind === 'partial-->') {
        if (!/^\s*-->\s*$/.test(kind === 'partial' ? rest : '-->')) {
          out.problems.push({ file, line: i + 1, message: 'write the marker as <!-- snippet: partial -->' });
        }
        pending = { kind: 'partial', at: i + 1 };
      } else if (kind === 'prelude') {
        const prelude: Pending = { kind: 'prelude', at: i + 1, code: [], lines: [] };
        // The comment runs to the first `-->`: code on its first line after `prelude`, then whole lines.
        let j = i;
        let chunk = rest;
        for (;;) {
          const closing = chunk.indexOf('-->');
          const code = closing === -1 ? chunk : chunk.slice(0, closing);
          if (code.trim() !== '') {
            prelude.code.push(code);
            prelude.lines.push(j + 1);
          }
          if (closing !== -1) break;
          j += 1;
          if (j >= text.length) {
            out.problems.push({ file, line: i + 1, message: 'the snippet prelude has no closing -->' });
            break;
          }
          chunk = text[j]!;
        }
        pending = prelude;
        i = j;
      } else {
        out.problems.push({
          file,
          line: i + 1,
          message: `unknown snippet marker ${JSON.stringify(kind)}: use partial or prelude`,
        });
      }
      continue;
    }
    if (pending && line.trim() !== '') {
      stray(pending);
      pending = undefined;
    }
  }
  if (pending) stray(pending);
  return out;
}

/** Every Markdown file under the root, outside dependencies, build output and dot-folders. */
export function markdownFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      if (SKIP.has(name) || name.startsWith('.')) continue;
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(relative(root, path));
    }
  };
  walk(root);
  return files;
}

/** `@countersign/<name>[/<subpath>]` → its source file, from each package's `@countersign/source` exports. */
function sourcePaths(root: string): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  const packages = join(root, 'packages');
  let names: string[] = [];
  try {
    names = readdirSync(packages);
  } catch {
    return paths;
  }
  for (const name of names) {
    let manifest: { name?: string; exports?: Record<string, unknown> };
    try {
      manifest = JSON.parse(readFileSync(join(packages, name, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    for (const [key, target] of Object.entries(manifest.exports ?? {})) {
      const source = (target as Record<string, unknown> | null)?.['@countersign/source'];
      if (manifest.name && typeof source === 'string') {
        paths[`${manifest.name}${key.slice(1)}`] = [join(packages, name, source)];
      }
    }
  }
  return paths;
}

export interface Report extends Extracted {
  /** Files searched. */
  files: number;
}

/** Type-checks every snippet of `files` (Markdown paths relative to `root`) in one program. */
export function checkSnippets(root: string, files: readonly string[] = markdownFiles(root)): Report {
  const report: Report = { snippets: [], partial: 0, problems: [], files: files.length };
  for (const file of files) {
    const found = extractSnippets(readFileSync(join(root, file), 'utf8'), file);
    report.snippets.push(...found.snippets);
    report.partial += found.partial;
    report.problems.push(...found.problems);
  }
  // Each snippet is a module beside its Markdown file, so the packages that file's folder sees resolve;
  // nothing is written to disk.
  const virtual = new Map<string, Snippet>();
  for (const snippet of report.snippets) {
    const name = `${basename(snippet.file, '.md')}-${snippet.lines.at(-1) ?? 0}.ts`;
    virtual.set(join(root, dirname(snippet.file), '.snippets', name), snippet);
  }
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  // Only its compiler options: its (absent) `include` would make TypeScript list every file under the root.
  const parsed = ts.convertCompilerOptionsFromJson(base.config?.compilerOptions ?? {}, root);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    moduleDetection: ts.ModuleDetectionKind.Force,
    paths: sourcePaths(root),
  };
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => virtual.has(path) || fileExists.call(host, path);
  host.readFile = (path) => virtual.get(path)?.code ?? readFile.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const snippet = virtual.get(path);
    return snippet
      ? ts.createSourceFile(path, snippet.code, language, true)
      : getSourceFile.call(host, path, language, ...rest);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  // Only the snippets' own diagnostics: the packages' sources are `pnpm typecheck`'s, and checking
  // them all here would be most of the time.
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...[...virtual.keys()].flatMap((path) => {
      const source = program.getSourceFile(path);
      return source
        ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
        : [];
    }),
  ];
  for (const diagnostic of [...(base.error ? [base.error] : []), ...parsed.errors, ...diagnostics]) {
    const message = `${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ')} (TS${diagnostic.code})`;
    const { file: source, start } = diagnostic;
    if (source === undefined || start === undefined) {
      report.problems.push({ file: 'tsconfig.base.json', line: 1, message });
      continue;
    }
    const line = source.getLineAndCharacterOfPosition(start).line;
    const snippet = virtual.get(source.fileName);
    report.problems.push(
      snippet
        ? { file: snippet.file, line: snippet.lines[line] ?? snippet.lines.at(-1) ?? 1, message }
        : { file: relative(root, source.fileName), line: line + 1, message },
    );
  }
  report.problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return report;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const started = performance.now();
  // Markdown files named on the command line (relative to the root), or all of them.
  const named = process.argv.slice(2);
  const report = checkSnippets(ROOT, named.length > 0 ? named : undefined);
  for (const problem of report.problems) console.error(`${problem.file}:${problem.line}: ${problem.message}`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${report.snippets.length} snippets from ${report.files} Markdown files checked, ${report.partial} marked partial, ` +
      `${report.problems.length} problems (${seconds}s)`,
  );
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}
