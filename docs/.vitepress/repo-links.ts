// Links that work both on GitHub and on the site: relative links to repository files outside the
// site become GitHub links, and every relative link (and its #anchor) must reach something that exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MarkdownRenderer } from 'vitepress';

export const REPOSITORY = 'https://github.com/countersign/countersign';
// import.meta.url, not import.meta.dirname: Vite bundles the config elsewhere and rewrites only the former.
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]$/, '');
export const DOCS = join(ROOT, 'docs');

/** GitHub's heading anchors (github-slugger), so that one `#anchor` works on GitHub and on the site. */
export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

const anchorCache = new Map<string, Set<string>>();

/** The anchors of a Markdown file's headings, numbered as GitHub numbers repeated ones. */
export function anchorsOf(file: string): Set<string> {
  const known = anchorCache.get(file);
  if (known) return known;
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const mark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (mark && (fence === undefined || mark.startsWith(fence))) {
      fence = fence === undefined ? mark : undefined;
      continue;
    }
    const heading = fence === undefined ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1] : undefined;
    if (heading === undefined) continue;
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const slug = slugify(text);
    let unique = slug;
    for (let n = 1; anchors.has(unique); n += 1) unique = `${slug}-${n}`;
    anchors.add(unique);
  }
  for (const match of readFileSync(file, 'utf8').matchAll(/<a (?:name|id)="([^"]+)"/g))
    anchors.add(match[1]!);
  anchorCache.set(file, anchors);
  return anchors;
}

/** Why a relative link from `from` (a Markdown file) is broken, or null when it reaches its target. */
export function brokenLink(from: string, href: string): string | null {
  const [path = '', anchor] = href.split('#', 2);
  const target = path === '' ? from : resolve(dirname(from), decodeURI(path));
  if (!target.startsWith(ROOT + sep) && target !== ROOT) return `${href} leaves the repository`;
  if (!existsSync(target)) return `${href}: no such file or folder`;
  if (anchor === undefined || anchor === '') return null;
  const file = statSync(target).isDirectory() ? join(target, 'README.md') : target;
  if (extname(file) !== '.md' || !existsSync(file)) return null;
  return anchorsOf(file).has(decodeURIComponent(anchor))
    ? null
    : `${href}: ${relative(ROOT, file)} has no heading #${anchor}`;
}

/** True for a link with a scheme (`https:`, `mailto:`) or to the site's root. */
function isAbsolute(href: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/');
}

/** True when VitePress serves the link as one of the site's pages. */
function isPage(target: string): boolean {
  if (!target.startsWith(DOCS + sep)) return false;
  if (target.endsWith('.md')) return existsSync(target);
  return existsSync(`${target}.md`) || existsSync(join(target, 'index.md'));
}

/**
 * The markdown-it plugin: checks every relative link of a page (file and anchor), and turns one that
 * reaches a repository file outside the site (a package's README, a source file) into a GitHub link.
 * A broken link fails the build, as VitePress's own dead-link check does for pages.
 */
export function repoLinks(md: MarkdownRenderer): void {
  md.core.ruler.push('countersign-repo-links', (state) => {
    const from = (state.env as { realPath?: string; path?: string }).realPath ?? state.env.path;
    if (typeof from !== 'string') return;
    for (const block of state.tokens) {
      for (const token of block.children ?? []) {
        if (token.type !== 'link_open') continue;
        const href = token.attrGet('href');
        if (href === null || isAbsolute(href)) continue;
        const problem = brokenLink(from, href);
        if (problem) throw new Error(`broken link in ${relative(ROOT, from)}: ${problem}`);
        const [path = '', anchor] = href.split('#', 2);
        if (path === '') continue;
        const target = resolve(dirname(from), decodeURI(path));
        if (isPage(target)) continue;
        const kind = statSync(target).isDirectory() ? 'tree' : 'blob';
        const at = relative(ROOT, target).split(sep).join('/');
        token.attrSet('href', `${REPOSITORY}/${kind}/main/${at}${anchor === undefined ? '' : `#${anchor}`}`);
      }
    }
  });
}

/** Markdown files outside the site whose relative links are checked too: every README. */
export function readmeFiles(at: string = ROOT): string[] {
  const found: string[] = [];
  for (const name of readdirSync(at).sort()) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.') || name === 'docs') continue;
    const path = join(at, name);
    if (statSync(path).isDirectory()) found.push(...readmeFiles(path));
    else if (name.endsWith('.md')) found.push(path);
  }
  return found;
}

/** Every broken relative link of the repository's Markdown files outside docs/, as `file: problem` lines. */
export function brokenReadmeLinks(md: MarkdownRenderer): string[] {
  const problems: string[] = [];
  for (const file of readmeFiles()) {
    for (const block of md.parse(readFileSync(file, 'utf8'), {})) {
      for (const token of block.children ?? []) {
        const href = token.type === 'link_open' ? token.attrGet('href') : null;
        if (href === null || isAbsolute(href)) continue;
        const problem = brokenLink(file, href);
        if (problem) problems.push(`${relative(ROOT, file)}: ${problem}`);
      }
    }
  }
  return problems;
}

/**
 * Every `<!--@include: file#region-->` of the site's pages, checked: VitePress leaves a missing file's
 * comment in place and includes the whole file for a missing region, both silently.
 */
export function brokenIncludes(at: string = DOCS): string[] {
  const problems: string[] = [];
  for (const name of readdirSync(at).sort()) {
    const path = join(at, name);
    if (name === 'node_modules' || name === 'audit-vectors' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) {
      problems.push(...brokenIncludes(path));
      continue;
    }
    if (!name.endsWith('.md')) continue;
    for (const match of readFileSync(path, 'utf8').matchAll(/<!--\s*@include:\s*(.*?)\s*-->/g)) {
      const [file = '', region] = match[1]!.split('#', 2);
      const target = resolve(dirname(path), file);
      const where = `${relative(ROOT, path)}: include ${match[1]}`;
      if (!existsSync(target)) problems.push(`${where}: no such file`);
      else if (region !== undefined && !readFileSync(target, 'utf8').includes(`<!-- #region ${region} -->`)) {
        problems.push(`${where}: ${relative(ROOT, target)} has no <!-- #region ${region} -->`);
      }
    }
  }
  return problems;
}
