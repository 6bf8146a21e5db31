/**
 * The login page when its link cannot be used (login-page.ts checked client_id and redirect_uri
 * before serving it): shows the two values as text, so the person sees where the link pointed.
 */
import { byId } from './lib/dom.js';

const query = new URLSearchParams(location.search);
byId('client-id', HTMLElement).textContent = query.get('client_id');
byId('redirect-uri', HTMLElement).textContent = query.get('redirect_uri');
