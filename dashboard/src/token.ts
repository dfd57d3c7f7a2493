/**
 * The read-token prompt, shown when the API answers 401. The token goes to sessionStorage
 * (see api.ts) and every request and the live stream use it from then on.
 */
import { setToken } from './api.ts';
import { h } from './dom.ts';
import { t } from './i18n.ts';

export function tokenPrompt(refused: boolean, onToken: () => void): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': refused ? 'token-detail token-error' : 'token-detail',
  });
  const form = h(
    'form',
    { class: 'panel token', 'data-testid': 'token-form', 'aria-labelledby': 'token-title' },
    h('h1', { id: 'token-title' }, t('token.title')),
    h('p', { id: 'token-detail', class: 'muted' }, t('token.detail')),
    refused ? h('p', { id: 'token-error', class: 'error', role: 'alert' }, t('token.refused')) : null,
    h('label', { for: 'token' }, t('token.label')),
    h(
      'div',
      { class: 'token-row' },
      input,
      h('button', { type: 'submit', class: 'button primary' }, t('token.submit')),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (value === '') return;
    setToken(value);
    onToken();
  });
  queueMicrotask(() => input.focus());
  return h('div', { class: 'view', 'data-view': 'token' }, form);
}
