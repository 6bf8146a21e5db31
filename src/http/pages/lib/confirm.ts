/**
 * A question before an action that cannot be undone, as a modal `<dialog>`: the focus moves into it
 * (to "Cancel", the harmless answer), Escape cancels, and the focus returns where it was.
 */
import { button, h } from './dom.js';

export function confirmAction(question: string, action: string): Promise<boolean> {
  const cancel = button('Cancel', () => dialog.close('cancel'));
  const confirm = button(action, () => dialog.close('confirm'), { className: 'danger' });
  const dialog = h('dialog', { className: 'confirm' }, h('p', { id: 'confirm-question' }, question), h('div', { className: 'actions' }, cancel, confirm));
  dialog.setAttribute('aria-labelledby', 'confirm-question');
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    }, { once: true });
  });
}
