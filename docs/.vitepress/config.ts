// The docs site: the Markdown files of docs/, built by `pnpm docs:build`, which fails on a dead link.
import { createMarkdownRenderer, defineConfig } from 'vitepress';
import { brokenIncludes, brokenReadmeLinks, DOCS, REPOSITORY, repoLinks, slugify } from './repo-links.js';

// Before anything renders: a bad include would otherwise render the wrong text first.
const badIncludes = brokenIncludes();
if (badIncludes.length > 0) throw new Error(`broken includes:\n  ${badIncludes.join('\n  ')}`);

export default defineConfig({
  title: 'countersign',
  description: "Human approval for your AI agent's privileged actions",
  cleanUrls: true,
  // The vectors' own README is read on GitHub, beside the data it describes.
  srcExclude: ['audit-vectors/**'],
  markdown: {
    anchor: { slugify },
    config: repoLinks,
  },
  // Links from the READMEs into docs/ and across packages are checked with the site's.
  async buildEnd() {
    const problems = brokenReadmeLinks(await createMarkdownRenderer(DOCS));
    if (problems.length > 0) throw new Error(`broken links:\n  ${problems.join('\n  ')}`);
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Security model', link: '/security-model' },
      { text: 'GitHub', link: REPOSITORY },
    ],
    search: { provider: 'local' },
    socialLinks: [{ icon: 'github', link: REPOSITORY }],
    sidebar: [
      {
        text: 'Start',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Concepts', link: '/guide/concepts' },
          { text: 'Fewer, better approvals', link: '/guide/fewer-approvals' },
          { text: 'Errors', link: '/guide/errors' },
        ],
      },
      {
        text: 'Agent frameworks',
        items: [
          { text: 'Vercel AI SDK', link: '/frameworks/ai-sdk' },
          { text: 'OpenAI Agents', link: '/frameworks/openai-agents' },
          { text: 'MCP', link: '/frameworks/mcp' },
          { text: 'LangGraph', link: '/frameworks/langgraph' },
        ],
      },
      {
        text: 'Where people decide',
        items: [
          { text: 'Slack', link: '/channels/slack' },
          { text: 'Microsoft Teams', link: '/channels/teams' },
          { text: 'Terminal', link: '/channels/terminal' },
          { text: 'HTTP API and inbox', link: '/channels/http' },
        ],
      },
      {
        text: 'Stores',
        items: [
          { text: 'Memory', link: '/stores/memory' },
          { text: 'PostgreSQL', link: '/stores/postgres' },
        ],
      },
      {
        text: 'Beyond TypeScript',
        items: [
          { text: 'Shells, pipelines, other languages', link: '/shells-and-other-languages' },
          { text: 'The agent API', link: '/agent-api' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'Security model', link: '/security-model' },
          { text: 'The CLI', link: '/cli' },
          { text: 'Audit log format', link: '/audit-format' },
          { text: 'Writing a store, transport or broker', link: '/guide/extending' },
          { text: 'Performance', link: '/guide/performance' },
          { text: 'From a checkout, development', link: '/guide/development' },
        ],
      },
    ],
  },
});
