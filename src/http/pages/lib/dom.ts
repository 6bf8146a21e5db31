/**
 * What every page script uses to reach and build its elements. The pages' CSP admits no markup
 * parsing (Trusted Types without a policy), so everything is built with createElement and text.
 */

/** The element with this id, which the page's HTML must hold with this type. */
export function byId<T extends HTMLElement>(id: string, kind: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof kind)) throw new Error(`#${id} is not a ${kind.name} on this page`);
  return element;
}

type Properties<K extends keyof HTMLElementTagNameMap> = Partial<Pick<HTMLElementTagNameMap[K], WritableKeys<K>>>;
type WritableKeys<K extends keyof HTMLElementTagNameMap> = {
  [P in keyof HTMLElementTagNameMap[K]]: NonNullable<HTMLElementTagNameMap[K][P]> extends string | number | boolean ? P : never;
}[keyof HTMLElementTagNameMap[K]];

/** `<tag>` with these properties (className, type, …) and children (text is text, never markup). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  properties: Properties<K> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  Object.assign(element, properties);
  element.append(...children);
  return element;
}

/** A button that runs `action` when pressed (click, Enter or Space). */
export function button(label: string, action: () => void, properties: Properties<'button'> = {}): HTMLButtonElement {
  const element = h('button', { type: 'button', ...properties }, label);
  element.addEventListener('click', action);
  return element;
}

/** The page's two live regions: `#error` (role=alert) and `#status` (role=status). */
export const notices = {
  error: (text: string): void => {
    byId('error', HTMLElement).textContent = text;
  },
  status: (text: string): void => {
    byId('status', HTMLElement).textContent = text;
  },
};

/** What to show for a failure: a refused command's own words, else what went wrong. */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.name === 'CommandRefused') return error.message;
  return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
}

/** Where an action's failure is shown: the page's `#error`, or a dialog's own alert. */
export type ShowError = (text: string) => void;

/** Runs an action started by a button; a new action clears the last one's error. */
export function act(work: () => Promise<void>, showError: ShowError = notices.error): void {
  showError('');
  work().catch((error: unknown) => showError(messageOf(error)));
}

/** The value of the form control with this id. */
export function valueOf(id: string): string {
  const element = document.getElementById(id);
  if (element instanceof HTMLInputElement || element instanceof HTMLSelectElement) return element.value;
  throw new Error(`#${id} is not a form control on this page`);
}

/**
 * Runs `work` for a form's submit event, with the form's buttons disabled meanwhile, so that a
 * second press does not send the same request twice.
 */
export function onSubmit(form: HTMLFormElement, work: () => Promise<void>, showError: ShowError = notices.error): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    for (const control of buttons) control.disabled = true;
    form.setAttribute('aria-busy', 'true');
    showError('');
    work()
      .catch((error: unknown) => showError(messageOf(error)))
      .finally(() => {
        for (const control of buttons) control.disabled = false;
        form.removeAttribute('aria-busy');
      });
  });
}
