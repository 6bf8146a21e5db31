/**
 * buildApp(deps): the services over the store, and the Fastify application with its routes and
 * hooks. It never listens: main.ts does, and tests call `inject` or listen on a random port.
 */
import { hostname } from 'node:os';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Clock } from './domain/clock.js';
import { HA_VERSION } from './domain/version.js';
import { apiRootRoutes } from './http/api-root.js';
import { installErrorHandling } from './http/error-handler.js';
import { healthRoutes } from './http/health.js';
import { ipBanHooks } from './http/ip-bans.js';
import { allowCrossOrigin } from './http/cors.js';
import { externalCallbackRoutes } from './http/external-callback.js';
import { checkForwardedFor, trustedProxyTest } from './http/forwarded.js';
import { linkUserRoutes } from './http/link-user.js';
import { requireMetricsToken } from './http/metrics-token.js';
import { loginFlowRoutes } from './http/login-flow.js';
import { loginPageRoutes } from './http/login-page.js';
import { reportLoginOutcomes } from './http/login-outcome.js';
import { onboardingRoutes } from './http/onboarding.js';
import { addSecurityHeaders, answerUnroutableUrl } from './http/security-headers.js';
import { closeConnectionsOnShutdown } from './http/close-on-shutdown.js';
import { logRequestsAtDebug } from './http/request-logs.js';
import { tokenRoutes } from './http/token.js';
import { wellKnownRoutes } from './http/well-known.js';
import { accessTokenService } from './services/tokens/access-tokens.js';
import { authProviders } from './services/providers/auth-providers.js';
import { createHomeAssistantProvider } from './services/providers/password-store.js';
import { passwordCheckLimits, passwordCheckQueue, type PasswordChecks } from './services/providers/password-checks.js';
import { loginFlowService } from './services/login/login-flows.js';
import { loginAttemptService } from './services/bans/login-attempts.js';
import { redirectDiscovery } from './services/login/redirect-discovery.js';
import { mfaService } from './services/mfa/mfa-modules.js';
import { mfaSetupFlowService } from './services/mfa/mfa-setup-flows.js';
import { linkUserService } from './services/login/link-user.js';
import { loginGrantService } from './services/login/authorization-codes.js';
import { oauth2StateService } from './services/login/oauth2-state.js';
import { onboardingService } from './services/users/onboarding.js';
import { refreshTokenService } from './services/tokens/refresh-tokens.js';
import { signedPathService } from './services/tokens/signed-paths.js';
import { tokenService } from './services/tokens/token-endpoint.js';
import { userService } from './services/users/users.js';
import type { Store } from './stores/types.js';
import { loadAuthConfig, type AuthConfig } from './auth-config.js';
import { socketSessionService } from './services/tokens/socket-sessions.js';
import { systemTimers, type Timers } from './domain/timers.js';
import { homeAssistantAccountService } from './services/providers/homeassistant-accounts.js';
import { userAdminService } from './services/users/user-admin.js';
import { authProviderHomeAssistantCommands } from './ws/commands/auth-provider-homeassistant.js';
import { authSessionCommands } from './ws/commands/auth-session.js';
import { authMfaCommands } from './ws/commands/auth-mfa.js';
import { configAuthCommands } from './ws/commands/config-auth.js';
import { authTokenCommands } from './ws/commands/auth-tokens.js';
import { PING, SUPPORTED_FEATURES, UNSUBSCRIBE_EVENTS } from './ws/commands/websocket-api.js';
import { inspectCommands } from './ws/commands/inspect.js';
import { DEFAULT_WEBSOCKET_LIMITS, websocketRoutes, type WebSocketLimits } from './ws/websocket-route.js';
import { instrumentStore } from './observability/instrument-store.js';
import { countOpenSockets, createMetrics, type Metrics } from './observability/metrics.js';
import { machineDiagrams } from './observability/machine-diagrams.js';
import { countRecords } from './observability/record-metrics.js';
import { recordCountService } from './services/inspection/record-counts.js';
import { recordInspectionService } from './services/inspection/record-inspection.js';
import { userInspectionService } from './services/inspection/user-inspection.js';
import type { TransitionObserver } from './runtime/observers.js';
import { statelyInspector } from './observability/stately-inspector.js';
import { transitionFeed } from './observability/transition-feed.js';
import { endedRecordCounter } from './services/inspection/ended-records.js';
import { metricsRoutes } from './observability/metrics-route.js';
import { countTokenRequests } from './observability/token-metrics.js';
import { passwordCheckMetrics } from './observability/password-check-metrics.js';

export interface AppDeps {
  store: Store;
  clock: Clock;
  /** Where requests and errors are logged; silent when absent (tests). */
  logger?: FastifyBaseLogger;
  /** bcrypt cost of new passwords: 12, as Home Assistant; tests lower it to stay fast. */
  bcryptRounds?: number;
  /**
   * Shorthand for the configuration's `http: {use_x_forwarded_for: true, trusted_proxies: …}`, over
   * `authConfig` (tests: requests then get their client IP from X-Forwarded-For, http/forwarded.ts).
   */
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
  /** This instance's name in the inspection page's live feed; the host name and process id when absent. */
  instanceId?: string;
  /** A Stately inspector server's WebSocket URL: every written transition is streamed there (observability/stately-inspector.ts). */
  statelyInspectUrl?: string | null;
  /** The registry to record into; a new one when absent. main.ts shares it with the METRICS_PORT listener (metrics-app.ts). */
  metrics?: Metrics;
  /**
   * `GET /metrics` on this app: behind `Authorization: Bearer <token>` (METRICS_TOKEN), or not here at
   * all (`elsewhere`: METRICS_PORT); open when absent.
   */
  metricsRoute?: { token: string | null } | 'elsewhere';
}

/** `observers`: who hears of every written record besides the store (the live feed, the ended-record counts, the Stately inspector). */
function services(deps: AppDeps, logger: FastifyBaseLogger, passwordChecks: PasswordChecks, observers: readonly TransitionObserver[]) {
  const { store, clock } = deps;
  const authConfig = deps.authConfig ?? loadAuthConfig(null);
  const users = userService(store, clock);
  const refreshTokens = refreshTokenService(store, clock, logger, deps.haVersion ?? HA_VERSION, observers);
  const grants = loginGrantService(store, clock, logger, refreshTokens, observers);
  const passwords = createHomeAssistantProvider(store.users, {
    ...(deps.bcryptRounds === undefined ? {} : { rounds: deps.bcryptRounds }),
    checks: passwordChecks,
  });
  const { trustedProxies } = authConfig.reverseProxy;
  const providers = authProviders(authConfig.authProviders, { passwords, users: store.users, trustedProxies });
  const accessTokens = accessTokenService(store, clock, logger);
  const signedPaths = signedPathService(store, clock, logger);
  const mfa = mfaService(store, clock, authConfig.mfaModules);
  const recordCounts = recordCountService(store, clock, deps.timers ?? systemTimers, logger);
  return {
    authenticators: { accessTokens, signedPaths },
    sockets: socketSessionService(store, clock, accessTokens, refreshTokens),
    commands: [
      PING,
      SUPPORTED_FEATURES,
      UNSUBSCRIBE_EVENTS,
      ...authSessionCommands({ users, signedPaths, mfa }),
      ...authMfaCommands({ mfa, setupFlows: mfaSetupFlowService(store, clock, logger, mfa, observers) }),
      ...authTokenCommands({ users, refreshTokens }),
      ...configAuthCommands(userAdminService(store, clock, refreshTokens, passwords)),
      ...authProviderHomeAssistantCommands(homeAssistantAccountService(store.users, passwords)),
      ...inspectCommands({
        diagrams: machineDiagrams,
        counts: recordCounts,
        records: recordInspectionService(store, logger),
        users: userInspectionService(store),
        watchTransitions: (watcher) => store.transitions.watch(watcher),
      }),
    ],
    loginFlows: loginFlowService({
      store,
      clock,
      logger,
      providers: providers.login,
      users,
      grants,
      mfa,
      discoverRedirectUris: redirectDiscovery({ allowPrivateAddresses: authConfig.discovery.allowPrivateAddresses }, logger),
      maxOpenPerClient: authConfig.loginFlows.maxOpenPerAddress,
      observers,
    }),
    onboarding: onboardingService(users, passwords, grants),
    tokens: tokenService({ users, grants, refreshTokens, clientPolicy: authConfig.clientPolicy, clock, providers }),
    links: linkUserService(users, grants),
    oauth2States: oauth2StateService(store, clock),
    recordCounts,
  };
}

function behindProxies(authConfig: AuthConfig, trustProxy: string[] | undefined): AuthConfig {
  if (trustProxy === undefined) return authConfig;
  return { ...authConfig, reverseProxy: { useXForwardedFor: true, trustedProxies: trustProxy } };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const authConfig = behindProxies(deps.authConfig ?? loadAuthConfig(null), deps.trustProxy);
  // X-Forwarded-For as `http:` says (http/forwarded.ts): Fastify takes the client from it only past trusted proxies.
  const { reverseProxy } = authConfig;
  const isTrustedProxy = trustedProxyTest(reverseProxy);
  const app = Fastify({
    ...(deps.logger === undefined ? {} : { loggerInstance: deps.logger }),
    ...(isTrustedProxy === undefined ? {} : { trustProxy: isTrustedProxy }),
    return503OnClosing: true,
    // An operator's `info` is start, stop, logins, revocations and errors: one line per request at
    // `info` would bury them (and cost a refresh grant two lines). requestLogs() logs requests at `debug`.
    logController: new LogController({ disableRequestLogging: true }),
    // Long path parameters (flow ids) reach the views, which answer them as unknown (404).
    routerOptions: { maxParamLength: 2048 },
    frameworkErrors: answerUnroutableUrl,
  });
  app.decorateRequest('hassAuth', null);
  logRequestsAtDebug(app);
  // First of the preClose hooks, so that answers sent while the others run close their connections too.
  closeConnectionsOnShutdown(app);
  // Before every other hook, bans included: a bad X-Forwarded-For is refused first, as in Home Assistant.
  checkForwardedFor(app, reverseProxy, authConfig.source);
  addSecurityHeaders(app);
  // Every service sees the instrumented store (src/observability/, GET /metrics).
  const metrics = deps.metrics ?? createMetrics();
  const store = instrumentStore(deps.store, metrics);
  // Every written transition goes to the live feed while someone watches, is counted when it ends a
  // record that is then deleted, and streams to a Stately inspector when there is one (runtime/observers.ts).
  const inspector = deps.statelyInspectUrl ? statelyInspector(deps.statelyInspectUrl, app.log) : null;
  const observers = [
    transitionFeed(store.transitions, deps.instanceId ?? `${hostname()}/${process.pid}`, deps.clock),
    endedRecordCounter(store.endedRecords, deps.clock, app.log),
    ...(inspector === null ? [] : [inspector.observer]),
  ];
  app.addHook('onClose', async () => inspector?.stop());
  // Bans first: a banned address gets its 403 before anything else answers, CORS preflights included.
  const attempts = loginAttemptService(store, deps.clock, app.log, authConfig.http);
  ipBanHooks(app, attempts);
  await allowCrossOrigin(app, deps.corsAllowedOrigins ?? ['https://cast.home-assistant.io']);
  installErrorHandling(app);
  wellKnownRoutes(app, deps.urls ?? []);
  // The hooks that count token requests and login attempts come before the routes, so that they apply to them.
  countTokenRequests(app, metrics);
  reportLoginOutcomes(app, (outcome) => metrics.loginAttempts.inc({ outcome }));
  // One bcrypt queue per app: every password check and hash of every route waits in it.
  const passwordChecks = passwordCheckQueue(passwordCheckLimits(authConfig.passwordChecks), { observer: passwordCheckMetrics(metrics) });
  const { authenticators, sockets, commands, loginFlows, onboarding, tokens, links, oauth2States, recordCounts } = services(
    { ...deps, store, authConfig },
    app.log,
    passwordChecks,
    observers,
  );
  healthRoutes(app, () => store.ping(), store.kind);
  const { metricsRoute = { token: null } } = deps;
  if (metricsRoute !== 'elsewhere') metricsRoutes(app, metrics, metricsRoute.token === null ? undefined : requireMetricsToken(metricsRoute.token));
  apiRootRoutes(app, authenticators);
  onboardingRoutes(app, onboarding);
  loginFlowRoutes(app, loginFlows, onboarding);
  await loginPageRoutes(app, { onboarding, loginFlows });
  tokenRoutes(app, tokens);
  linkUserRoutes(app, authenticators, links);
  externalCallbackRoutes(app, oauth2States);
  const openSockets = await websocketRoutes(app, {
    haVersion: deps.haVersion ?? HA_VERSION,
    sessions: sockets,
    attempts,
    commands,
    timers: deps.timers ?? systemTimers,
    clock: deps.clock,
    limits: { ...DEFAULT_WEBSOCKET_LIMITS, ...deps.websocketLimits },
  });
  countOpenSockets(metrics, openSockets);
  countRecords(metrics, recordCounts);
  app.addHook('onClose', async () => recordCounts.stop());
  await app.ready();
  return app;
}
