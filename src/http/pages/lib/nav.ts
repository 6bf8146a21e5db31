/**
 * The links between the signed-in pages, each shown only to those who may open it: every user has
 * a profile; the users page and the machines need an administrator (`config/auth/*` and
 * `inspect/*` require one).
 */
import { byId, h } from './dom.js';

const PAGES = [
  { path: '/profile', label: 'Profile', adminOnly: false },
  { path: '/config/users', label: 'Users', adminOnly: true },
  { path: '/inspect', label: 'Machines', adminOnly: true },
] as const;

/** Fills the page's `<nav id="nav">`; the current page is marked, not linked to itself. */
export function showNav(currentPath: string, isAdmin: boolean): void {
  const links = PAGES.filter((page) => isAdmin || !page.adminOnly).map((page) => {
    const link = h('a', { href: page.path }, page.label);
    if (page.path === currentPath) link.setAttribute('aria-current', 'page');
    return h('li', {}, link);
  });
  const nav = byId('nav', HTMLElement);
  nav.replaceChildren(h('ul', {}, ...links));
  nav.hidden = false;
}
