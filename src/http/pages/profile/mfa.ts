/**
 * The profile's two-factor authentication: the configured modules with whether the user has set
 * each up (`auth/current_user`'s `mfa_modules`); turning one on runs `auth/setup_mfa` (its first step
 * shows the QR code and the key, the next one checks a code from the app), turning it off is
 * `auth/depose_mfa` (ha-auth-spec §12.2).
 *
 * The QR code arrives as SVG text. The page's CSP parses no markup (Trusted Types without a
 * policy), so the SVG is shown as an image from a `data:` URL, which runs nothing: the profile's
 * CSP admits `img-src data:` for it (login-page.ts).
 */
import type { CurrentUser, MfaSetupStep } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { act, button, byId, h, notices, onSubmit, valueOf } from '../lib/dom.js';
import type { CommandSocket } from '../lib/socket.js';

export function mfaCard(reload: () => Promise<void>) {
  let socket: CommandSocket | null = null;
  let flowId: string | null = null;
  const list = byId('mfa-list', HTMLUListElement);
  const setup = byId('mfa-setup', HTMLDivElement);
  const code = byId('mfa-code', HTMLInputElement);

  function closeSetup(): void {
    flowId = null;
    setup.hidden = true;
    code.value = '';
  }

  async function turnOn(module: CurrentUser['mfa_modules'][number]): Promise<void> {
    if (socket === null) return;
    const step = await socket.result<MfaSetupStep>('auth/setup_mfa', { mfa_module_id: module.id });
    const placeholders = step.description_placeholders ?? {};
    flowId = step.flow_id;
    byId('mfa-qr', HTMLImageElement).src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(placeholders.qr_code ?? '')}`;
    byId('mfa-secret', HTMLElement).textContent = placeholders.code ?? '';
    setup.hidden = false;
    code.focus();
  }

  async function turnOff(module: CurrentUser['mfa_modules'][number]): Promise<void> {
    if (socket === null || !(await confirmAction(`Turn off ${module.name}? Logging in will ask for your password only.`, 'Turn off'))) return;
    await socket.result('auth/depose_mfa', { mfa_module_id: module.id });
    notices.status(`${module.name} is off.`);
    await reload();
    byId('mfa-title', HTMLHeadingElement).focus();
  }

  onSubmit(byId('mfa-form', HTMLFormElement), async () => {
    if (socket === null || flowId === null) return;
    const step = await socket.result<MfaSetupStep>('auth/setup_mfa', { flow_id: flowId, user_input: { code: valueOf('mfa-code').trim() } });
    if (step.type === 'create_entry') {
      closeSetup();
      notices.status('Two-factor authentication is on: logging in now asks for a code from the app.');
      await reload();
      byId('mfa-title', HTMLHeadingElement).focus();
    } else if (step.type === 'form') {
      notices.error(step.errors?.base === 'invalid_code' ? 'Wrong code. Check the app and try the newest code.' : 'The code was not accepted.');
      code.value = '';
      code.focus();
    } else {
      closeSetup();
      notices.error(`The setup stopped (${step.reason ?? 'unknown reason'}). Start again.`);
    }
  });
  byId('mfa-cancel', HTMLButtonElement).addEventListener('click', () => {
    closeSetup();
    byId('mfa-title', HTMLHeadingElement).focus();
  });

  return {
    show(current: CommandSocket, me: CurrentUser): void {
      socket = current;
      list.replaceChildren(...me.mfa_modules.map((module) => {
        const text = h('div', { className: 'item-text' }, h('strong', {}, module.name), h('span', { className: 'meta' }, module.enabled ? 'on' : 'off'));
        const action = module.enabled
          ? button('Turn off', () => act(() => turnOff(module)), { ariaLabel: `Turn off ${module.name}` })
          : button('Turn on', () => act(() => turnOn(module)), { ariaLabel: `Turn on ${module.name}` });
        return h('li', {}, text, action);
      }));
    },
  };
}
