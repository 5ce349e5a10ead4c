export { createDevIssuer, type DevIssuer } from './dev-issuer.js';
export {
  createGithubOidcEmulator,
  GITHUB_ACTIONS_ISSUER,
  type GithubJob,
  type GithubOidcEmulator,
  type GithubOidcEmulatorOptions,
  githubClaims,
} from './github-oidc.js';
