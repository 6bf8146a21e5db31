/**
 * What every answer must be, whatever was asked (ha-auth-spec §0: bad input gets Home Assistant's
 * error shape, never a 500): below 500; JSON that parses when it says it is JSON; an error in one of
 * Home Assistant's shapes: a view's `{"message": …}` (http/view.py `json_message`), the token
 * endpoint's OAuth `{"error": …, "error_description"?: …}` (RFC 6749 §5.2), or aiohttp's text
 * `<status>: <reason>` (a refused CORS preflight: any text, as aiohttp_cors answers in text); and
 * no error logged meanwhile (the error handler logs every unexpected exception before it answers,
 * src/http/error-handler.ts), but for the one Home Assistant logs at that level on purpose.
 * Returns what is wrong, in words.
 */
import { pino, type Logger } from 'pino';

/** A logger that keeps the lines logged at `error` or worse, for the server under fuzz. */
export function errorLog(): { logger: Logger; take(): string[] } {
  let lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
  return {
    logger,
    take() {
      const taken = lines;
      lines = [];
      return taken;
    },
  };
}

/** http/forwarded.ts logs this at `error`, as Home Assistant does (http/forwarded.py): bad input, no bug. */
const EXPECTED_ERROR_LOG = /"msg":"A request from a reverse proxy was received from /;

/** Plain-text answers of views that Home Assistant answers in text (http/external-callback.ts). */
const TEXT_ANSWERS = new Set([
  'Missing state parameter',
  'Invalid state. Is My Home Assistant configured to go to the right instance?',
  'Missing code or error parameter',
]);

function errorShapeProblem(method: string, contentType: string, body: string): string | null {
  if (contentType.includes('json')) {
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `an error that is not a JSON object: ${body}`;
    const { message, error, error_description: description } = value as Record<string, unknown>;
    if (typeof message === 'string' && message !== '') return null;
    if (typeof error === 'string' && error !== '' && (description === undefined || typeof description === 'string')) return null;
    return `an error in no Home Assistant shape: ${body}`;
  }
  const plain = contentType.startsWith('text/plain');
  if (plain && (/^\d{3}: \S/.test(body) || TEXT_ANSWERS.has(body) || (method === 'OPTIONS' && body !== ''))) return null;
  return `an error in no Home Assistant shape (${contentType || 'no content-type'}): ${JSON.stringify(body.slice(0, 200))}`;
}

/** Home Assistant's login flow index answers GET with an empty 405 (auth/login_flow/__init__.py `LoginFlowIndexView.get`). */
const isLoginFlowGet = (path: string, status: number, body: string) => path === '/auth/login_flow' && status === 405 && body === '';

/** The errors logged meanwhile that are no answer to bad input but a bug. */
export function loggedProblems(logged: string[]): string[] {
  return logged.filter((entry) => !EXPECTED_ERROR_LOG.test(entry)).map((line) => `logged an error: ${line.slice(0, 500)}`);
}

export function answerProblems({ method, path }: { method: string; path: string }, response: { status: number; contentType: string; body: string }): string[] {
  const problems: string[] = [];
  const { status, contentType, body } = response;
  if (status >= 500) problems.push(`status ${status}`);
  if (contentType.includes('json') && method !== 'HEAD') {
    try {
      JSON.parse(body);
    } catch {
      problems.push(`says JSON, is not: ${JSON.stringify(body.slice(0, 200))}`);
    }
  }
  if (problems.length === 0 && status >= 400 && method !== 'HEAD' && !isLoginFlowGet(path, status, body)) {
    const problem = errorShapeProblem(method, contentType, body);
    if (problem !== null) problems.push(problem);
  }
  return problems;
}
