/**
 * Real ids, codes and tokens of a set-up owner, for fuzzed requests to carry so that some of them get
 * past the parsers and the first checks into the deep paths (a live flow's step, a code's exchange,
 * a refresh, a revocation, a signed path). The arbitraries name a value by its kind (`RealKind`); a
 * request's values are minted when it is sent, fresh each time, so that one run that revokes a token
 * or redeems a code does not starve the next; within one request each kind is minted once, so that a
 * code and its PKCE verifier, or an access token and its refresh token, belong together.
 */
import { randomBytes } from 'node:crypto';
import { s256Proof } from '../../src/domain/pkce.js';
import { oauth2StateService } from '../../src/services/login/oauth2-state.js';
import { openFlow } from '../http/http-helpers.js';
import { issuerOf, newCode, PASSWORD, USERNAME } from '../http/token-client.js';
import { CLIENT_ID, REDIRECT_URI, type TestServer } from '../support/test-server.js';
import { type IssuedTokens, exchangeCode } from '../support/http-client.js';

export const REAL_KINDS = [
  'clientId',
  'redirectUri',
  'username',
  'password',
  'userId',
  'flowId',
  'code',
  'pkceCode',
  'codeVerifier',
  'codeChallenge',
  'refreshToken',
  'refreshTokenId',
  'accessToken',
  'signedPath',
  'oauthState',
] as const;
export type RealKind = (typeof REAL_KINDS)[number];

/** How a real value is bent: left as it is (most often), or into a near miss of it (values.ts `bend`). */
export const MUTATIONS = ['none', 'none', 'none', 'upper', 'cut', 'extra', 'padded'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** What the set-up made once and every request may reuse. */
export interface Setup {
  userId: string;
  /** An `authSig` for `GET /api/`, signed with the set-up session (auth/sign_path). */
  signedApiPath: string;
}

export class RealValues {
  constructor(
    private readonly server: TestServer,
    private readonly setup: Setup,
  ) {}

  /** A resolver for one request: each kind minted at most once. */
  forRequest(): (kind: RealKind) => Promise<string> {
    const minted = new Map<RealKind, Promise<string>>();
    let session: Promise<IssuedTokens> | undefined;
    let pkce: Promise<{ code: string; verifier: string; challenge: string }> | undefined;
    const theSession = () => (session ??= this.newSession());
    const thePkce = () => (pkce ??= this.newPkceLogin());
    const mint = async (kind: RealKind): Promise<string> => {
      switch (kind) {
        case 'clientId': return CLIENT_ID;
        case 'redirectUri': return REDIRECT_URI;
        case 'username': return USERNAME;
        case 'password': return PASSWORD;
        case 'userId': return this.setup.userId;
        case 'flowId': return openFlow(this.server);
        case 'code': return newCode(this.server);
        case 'pkceCode': return (await thePkce()).code;
        case 'codeVerifier': return (await thePkce()).verifier;
        case 'codeChallenge': return (await thePkce()).challenge;
        case 'refreshToken': return (await theSession()).refresh_token;
        case 'accessToken': return (await theSession()).access_token;
        case 'refreshTokenId': return issuerOf((await theSession()).access_token);
        case 'signedPath': return this.setup.signedApiPath;
        case 'oauthState': return oauth2StateService(this.server.store, () => this.server.clock.now).encode({ flow_id: 'f', redirect_uri: REDIRECT_URI });
      }
    };
    return (kind) => {
      let value = minted.get(kind);
      if (value === undefined) minted.set(kind, (value = mint(kind)));
      return value;
    };
  }

  private async newSession(): Promise<IssuedTokens> {
    const response = await exchangeCode(this.server, await newCode(this.server));
    if (response.status !== 200) throw new Error(`set-up exchange failed: ${response.status}`);
    return (await response.json()) as IssuedTokens;
  }

  private async newPkceLogin() {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = s256Proof(verifier) as string;
    const flowId = await openFlow(this.server, { code_challenge: challenge, code_challenge_method: 'S256' });
    const done = await fetch(`${this.server.baseUrl}/auth/login_flow/${flowId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: CLIENT_ID, username: USERNAME, password: PASSWORD }),
    });
    const { result } = (await done.json()) as { result?: string };
    if (result === undefined) throw new Error('set-up PKCE login failed');
    return { code: result, verifier, challenge };
  }
}
