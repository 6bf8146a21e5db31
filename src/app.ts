/**
 * buildApp(deps): the services over the store, and the Fastify application with its routes and
 * hooks. It never listens: main.ts does, and tests call `inject` or listen on a random port.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Clock } from './domain/clock.js';
import { HA_VERSION } from './domain/version.js';
import { apiRootRoutes } from './http/api-root.js';
import { installErrorHandling } from './http/error-handler.js';
import { healthRoutes } from './http/health.js';
import { allowCrossOrigin } from './http/cors.js';
import { externalCallbackRoutes } from './http/external-callback.js';
import { linkUserRoutes } from './http/link-user.js';
import { loginFlowRoutes } from './http/login-flow.js';
import { loginPageRoutes } from './http/login-page.js';
import { onboardingRoutes } from './http/onboarding.js';
import { addSecurityHeaders, answerUnroutableUrl } from './http/security-headers.js';
import { tokenRoutes } from './http/token.js';
import { wellKnownRoutes } from './http/well-known.js';
import { accessTokenService } from './services/access-tokens.js';
import { homeAssistantLoginProvider } from './services/homeassistant-login.js';
import { createHomeAssistantProvider } from './services/homeassistant-provider.js';
import { loginFlowService } from './services/login-flows.js';
import { mfaService } from './services/mfa.js';
import { mfaSetupFlowService } from './services/mfa-setup-flows.js';
import { linkUserService } from './services/link-user.js';
import { loginGrantService } from './services/login-grants.js';
import { oauth2StateService } from './services/oauth2-state.js';
import { onboardingService } from './services/onboarding.js';
import { refreshTokenService } from './services/refresh-tokens.js';
import { signedPathService } from './services/signed-paths.js';
import { tokenService } from './services/tokens.js';
import { userService } from './services/users.js';
import type { Store } from './stores/types.js';
import { loadAuthConfig, type AuthConfig } from './auth-config.js';
import { socketSessionService } from './services/socket-sessions.js';
import { systemTimers, type Timers } from './domain/timers.js';
import { homeAssistantAccountService } from './services/homeassistant-accounts.js';
import { userAdminService } from './services/user-admin.js';
import { authProviderHomeAssistantCommands } from './ws/commands/auth-provider-homeassistant.js';
import { authSessionCommands } from './ws/commands/auth-session.js';
import { authMfaCommands } from './ws/commands/auth-mfa.js';
import { configAuthCommands } from './ws/commands/config-auth.js';
import { authTokenCommands } from './ws/commands/auth-tokens.js';
import { PING, SUPPORTED_FEATURES } from './ws/commands/websocket-api.js';
import { DEFAULT_WEBSOCKET_LIMITS, websocketRoutes, type WebSocketLimits } from './ws/websocket-route.js';
import { instrumentStore } from './observability/instrument-store.js';
import { countOpenSockets, createMetrics } from './observability/metrics.js';
import { metricsRoutes } from './observability/metrics-route.js';
import { countTokenRequests } from './observability/token-metrics.js';

export interface AppDeps {
  store: Store;
  clock: Clock;
  /** Where requests and errors are logged; silent when absent (tests). */
  logger?: FastifyBaseLogger;
  /** bcrypt cost of new passwords: 12, as Home Assistant; tests lower it to stay fast. */
  bcryptRounds?: number;
  /** Trust `X-Forwarded-For` from these proxies (Fastify's `trustProxy`); none by default. */
  trustProxy?: string[];
  /** The configured internal and external URLs (OAuth metadata, `WWW-Authenticate`). */
  urls?: string[];
  /** Origins allowed on views other than the token endpoints; Home Assistant's default when absent. */
  corsAllowedOrigins?: string[];
  /** The Home Assistant version to answer as (`ha_version`, a token's `version`); HA_VERSION when absent. */
  haVersion?: string;
  /** Delays (WebSocket timeouts); real ones when absent, a fake in tests. */
  timers?: Timers;
  /** WebSocket limits other than Home Assistant's (tests lower them). */
  websocketLimits?: Partial<WebSocketLimits>;
  /** The configuration file's content (auth-config.ts); its defaults when absent. */
  authConfig?: AuthConfig;
}

function services(deps: AppDeps, logger: FastifyBaseLogger) {
  const { store, clock } = deps;
  const authConfig = deps.authConfig ?? loadAuthConfig(null);
  const users = userService(store, clock);
  const refreshTokens = refreshTokenService(store, clock, logger, deps.haVersion ?? HA_VERSION);
  const grants = loginGrantService(store, clock, logger, refreshTokens);
  const passwords = createHomeAssistantProvider(store.users, deps.bcryptRounds === undefined ? {} : { rounds: deps.bcryptRounds });
  const providers = [homeAssistantLoginProvider(passwords, store.users)];
  const accessTokens = accessTokenService(store, clock, logger);
  const signedPaths = signedPathService(store, clock, logger);
  const mfa = mfaService(store, clock, authConfig.mfaModules);
  return {
    authenticators: { accessTokens, signedPaths },
    sockets: socketSessionService(store, clock, accessTokens, refreshTokens),
    commands: [
      PING,
      SUPPORTED_FEATURES,
      ...authSessionCommands({ users, signedPaths, mfa }),
      ...authMfaCommands({ mfa, setupFlows: mfaSetupFlowService(store, clock, logger, mfa) }),
      ...authTokenCommands({ users, refreshTokens }),
      ...configAuthCommands(userAdminService(store, clock, refreshTokens, passwords)),
      ...authProviderHomeAssistantCommands(homeAssistantAccountService(store.users, passwords)),
    ],
    loginFlows: loginFlowService({ store, clock, logger, providers, users, grants, mfa }),
    onboarding: onboardingService(users, passwords, grants),
    tokens: tokenService({ users, grants, refreshTokens, clientPolicy: authConfig.clientPolicy, clock }),
    links: linkUserService(users, grants),
    oauth2States: oauth2StateService(store, clock),
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === undefined ? {} : { loggerInstance: deps.logger }),
    ...(deps.trustProxy === undefined ? {} : { trustProxy: deps.trustProxy }),
    return503OnClosing: true,
    // Long path parameters (flow ids) reach the views, which answer them as unknown (404).
    routerOptions: { maxParamLength: 2048 },
    frameworkErrors: answerUnroutableUrl,
  });
  app.decorateRequest('hassAuth', null);
  addSecurityHeaders(app);
  await allowCrossOrigin(app, deps.corsAllowedOrigins ?? ['https://cast.home-assistant.io']);
  installErrorHandling(app);
  wellKnownRoutes(app, deps.urls ?? []);
  // Every service sees the instrumented store (src/observability/, GET /metrics); the hooks that count
  // token requests come before the routes, so that they apply to the token route.
  const metrics = createMetrics();
  const store = instrumentStore(deps.store, metrics);
  countTokenRequests(app, metrics);
  const { authenticators, sockets, commands, loginFlows, onboarding, tokens, links, oauth2States } = services({ ...deps, store }, app.log);
  healthRoutes(app, () => store.ping(), store.kind);
  metricsRoutes(app, metrics);
  apiRootRoutes(app, authenticators);
  onboardingRoutes(app, onboarding);
  loginFlowRoutes(app, loginFlows, onboarding);
  loginPageRoutes(app, onboarding);
  tokenRoutes(app, tokens);
  linkUserRoutes(app, authenticators, links);
  externalCallbackRoutes(app, oauth2States);
  const openSockets = await websocketRoutes(app, {
    haVersion: deps.haVersion ?? HA_VERSION,
    sessions: sockets,
    commands,
    timers: deps.timers ?? systemTimers,
    limits: { ...DEFAULT_WEBSOCKET_LIMITS, ...deps.websocketLimits },
  });
  countOpenSockets(metrics, openSockets);
  await app.ready();
  return app;
}
