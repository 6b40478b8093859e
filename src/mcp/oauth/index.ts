// MCP authorization for the hand-off: the OAuth client (authorizer.ts), its credentials file,
// token cache, bounded fetch and loopback redirect listener.

export { Authorizer, parseChallenge, type AuthorizerOptions, type AuthRequest, type Challenge, type Granted, type InteractiveLogin } from './authorizer.js';
export { defaultCredentialsPath, emptyCredentials, findCredential, loadCredentials, parseCredentials, type CredentialEntry, type Credentials, type TokenAuthMethod } from './credentials.js';
export { defaultTokenDir, TokenStore, type StoredClient, type StoredToken } from './store.js';
export { authFetch, urlProblem } from './fetch.js';
export { loopbackRedirect, type LoopbackRedirect } from './loopback.js';
