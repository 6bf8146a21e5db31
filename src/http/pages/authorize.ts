/**
 * The login page (`/auth/authorize`): runs Home Assistant's login flow (ha-auth-spec §3, §5): start,
 * render each form step from its data_schema, send it, and on create_entry go to redirect_uri with
 * code and state. Query values and server texts reach the page through textContent / value only,
 * never as markup. The server has checked redirect_uri against client_id before serving this page
 * (login-page.ts); the flow checks it again when it completes, as Home Assistant does.
 */
import { byId, h } from './lib/dom.js';

interface SchemaField {
  type: string;
  name: string;
  required?: boolean;
  options?: Array<[string, string]>;
}

interface FlowStep {
  type: 'form' | 'abort' | 'create_entry';
  flow_id: string;
  step_id?: string;
  data_schema?: SchemaField[];
  errors?: Record<string, string> | null;
  description_placeholders?: Record<string, string> | null;
  reason?: string;
  result?: string;
  message?: string;
}

const query = new URLSearchParams(location.search);
const clientId = query.get('client_id');
const redirectUri = query.get('redirect_uri');
const state = query.get('state');
// PKCE (RFC 7636): a client's challenge goes with the flow, which binds the code to it.
const pkce: Record<string, string> = {};
for (const name of ['code_challenge', 'code_challenge_method']) {
  const value = query.get(name);
  if (value !== null) pkce[name] = value;
}

const form = byId('login', HTMLFormElement);
const fields = byId('fields', HTMLDivElement);
const intro = byId('step-intro', HTMLParagraphElement);
const submit = byId('submit', HTMLButtonElement);
const restart = byId('restart', HTMLButtonElement);
const errorBox = byId('error', HTMLParagraphElement);
const statusBox = byId('status', HTMLParagraphElement);

// errors.base of a form step (§5.3).
const FORM_ERRORS: Record<string, string> = {
  invalid_auth: 'Wrong username or password.',
  invalid_code: 'Wrong code. Check your authenticator app.',
  invalid_auth_module: 'That two-factor method is not available. Choose another one.',
};
// Reasons of an abort step (§5.3); the flow is gone after them.
const ABORT_REASONS: Record<string, string> = {
  login_expired: 'The login took too long. Start again.',
  too_many_retry: 'Too many wrong codes. Start again.',
  not_allowed: 'You are not allowed to log in from this network.',
  unknown_error: 'Something went wrong while sending the code. Start again.',
};
const INTROS: Record<string, string> = {
  select_mfa_module: 'Choose how to confirm that it is you.',
  mfa: 'Enter the code of your two-factor authentication.',
};

// Fields cleared when a step comes back (a wrong password or code is typed anew).
const SECRETS = ['password', 'code'];

let flowId: string | null = null;

function showError(text: string): void {
  errorBox.textContent = text;
}

function fieldLabel(field: SchemaField, step: FlowStep): string {
  if (field.name === 'username') return 'Username';
  if (field.name === 'password') return 'Password';
  if (field.name === 'code') {
    const module = step.description_placeholders?.mfa_module_name;
    return module === undefined ? 'Two-factor code' : `Code from ${module}`;
  }
  if (field.name === 'multi_factor_auth_module') return 'Two-factor method';
  return field.name;
}

function control(field: SchemaField): HTMLInputElement | HTMLSelectElement {
  if (field.type === 'select') {
    return h('select', {}, ...(field.options ?? []).map(([value, label]) => h('option', { value: String(value) }, String(label))));
  }
  const input = h('input', { type: field.name === 'password' ? 'password' : 'text' });
  if (field.name === 'username') {
    Object.assign(input, { autocomplete: 'username', autocapitalize: 'none', spellcheck: false });
  } else if (field.name === 'password') {
    input.autocomplete = 'current-password';
  } else if (field.name === 'code') {
    Object.assign(input, { autocomplete: 'one-time-code', inputMode: 'numeric' });
  }
  return input;
}

const controls = () => [...fields.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')];

// Renders a form step; keeps what was typed in fields that are not secrets (the username after a
// wrong password) and puts the focus on the first empty field.
function renderForm(step: FlowStep): void {
  const kept = new Map(controls().filter((element) => !SECRETS.includes(element.name)).map((element) => [element.name, element.value]));
  fields.replaceChildren();
  for (const field of step.data_schema ?? []) {
    const id = `field-${field.name}`;
    const element = control(field);
    Object.assign(element, { id, name: field.name, required: field.required === true });
    const typed = kept.get(field.name);
    if (typed !== undefined) element.value = typed;
    fields.append(h('label', { htmlFor: id }, fieldLabel(field, step)), element);
  }
  intro.textContent = INTROS[step.step_id ?? ''] ?? '';
  intro.hidden = intro.textContent === '';
  submit.textContent = step.step_id === 'init' ? 'Log in' : 'Continue';
  form.hidden = false;
  const first = controls().find((element) => element.value === '') ?? controls()[0];
  first?.focus();
}

function redirectTarget(uri: string, code: string): string {
  // Keep redirect_uri as given (its own query, e.g. ?auth_callback=1) and add code and state
  // before any fragment, as the Home Assistant frontend does.
  const hashAt = uri.indexOf('#');
  const base = hashAt === -1 ? uri : uri.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : uri.slice(hashAt);
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  let added = `code=${encodeURIComponent(code)}`;
  if (state !== null) added += `&state=${encodeURIComponent(state)}`;
  return base + separator + added + fragment;
}

function finish(uri: string, code: string): void {
  const target = redirectTarget(uri, code);
  let scheme: string;
  try {
    scheme = new URL(target).protocol;
  } catch {
    scheme = 'invalid:';
  }
  // The server vouched for redirect_uri; a script URL would still run here, so never follow one.
  if (['javascript:', 'data:', 'vbscript:', 'invalid:'].includes(scheme)) {
    showError('The application gave a redirect address that cannot be opened.');
    return;
  }
  statusBox.textContent = 'Logged in. Taking you back…';
  location.assign(target);
}

function stop(text: string): void {
  flowId = null;
  form.hidden = true;
  showError(text);
  restart.hidden = false;
  restart.focus();
}

function handle(status: number, body: FlowStep | null): void {
  if (status !== 200 || body === null) {
    stop(typeof body?.message === 'string' ? body.message : `The server answered with status ${status}.`);
    return;
  }
  if (body.type === 'form') {
    flowId = body.flow_id;
    const base = body.errors?.base;
    showError(base === undefined ? '' : (FORM_ERRORS[base] ?? `The server refused this step (${base}).`));
    renderForm(body);
  } else if (body.type === 'abort') {
    const reason = body.reason ?? '';
    stop(ABORT_REASONS[reason] ?? `The login stopped (${reason}). Start again.`);
  } else if (body.type === 'create_entry' && redirectUri !== null) {
    form.hidden = true;
    finish(redirectUri, body.result ?? '');
  } else {
    stop('The server answered with something this page does not understand.');
  }
}

// POSTs JSON; null when the server cannot be reached, else the status and the JSON body (or null).
async function post(path: string, payload: Record<string, unknown>): Promise<{ status: number; body: FlowStep | null } | null> {
  submit.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    const body = (await response.json().catch(() => null)) as FlowStep | null;
    return { status: response.status, body };
  } catch {
    return null;
  } finally {
    submit.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

async function send(path: string, payload: Record<string, unknown>): Promise<void> {
  const answer = await post(path, payload);
  if (answer === null) showError('Cannot reach the server. Check your connection and try again.');
  else handle(answer.status, answer.body);
}

function startFlow(): Promise<void> {
  restart.hidden = true;
  showError('');
  return send('/auth/login_flow', { client_id: clientId, handler: ['homeassistant', null], redirect_uri: redirectUri, type: 'authorize', ...pkce });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (flowId === null) return;
  const input: Record<string, string | null> = { client_id: clientId };
  for (const element of controls()) input[element.name] = element.value;
  void send(`/auth/login_flow/${encodeURIComponent(flowId)}`, input);
});
restart.addEventListener('click', () => void startFlow());

const missing = [clientId === null && 'client_id', redirectUri === null && 'redirect_uri'].filter((name) => name !== false);
if (missing.length > 0) {
  showError(`This login link is incomplete: it has no ${missing.join(' and no ')}. Go back to the application and start the login again.`);
} else {
  byId('client-id', HTMLElement).textContent = clientId;
  byId('client', HTMLElement).hidden = false;
  void startFlow();
}
