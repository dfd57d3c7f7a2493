/** Building blocks shared by the views: figure cards, state badges, empty states, tables. */
import { h, type Child } from '../dom.ts';
import { t, type MessageKey } from '../i18n.ts';
import { ago, dateTime, pct } from '../format.ts';

export const GATEWAY_COMMAND = 'npx lianwang gateway config/gateways/ts-steel.yaml';

/** A headline figure: label, big value, one line of detail. `testid` marks it for the browser test. */
export function card(
  label: string,
  value: string,
  detail: Child,
  opts: { testid?: string; tone?: 'good' | 'bad' | 'neutral'; raw?: number | null } = {},
): HTMLElement {
  return h(
    'article',
    { class: `card tone-${opts.tone ?? 'neutral'}`, 'data-testid': opts.testid },
    h('h3', { class: 'card-label' }, label),
    h(
      'p',
      {
        class: 'card-value',
        // The unrounded ratio, so a reader (or test) can compare with the API without re-parsing text.
        'data-value': opts.raw === undefined || opts.raw === null ? undefined : String(opts.raw),
      },
      value,
    ),
    h('p', { class: 'card-detail' }, detail),
  );
}

/** Tone of a rate against the target: good at or above it, bad below, neutral without a rate. */
export function tone(rate: number | null, target: number): 'good' | 'bad' | 'neutral' {
  return rate === null ? 'neutral' : rate >= target ? 'good' : 'bad';
}

export function badge(
  kind: 'online' | 'offline' | 'meets' | 'misses' | 'leading',
  text: string,
): HTMLElement {
  return h('span', { class: `badge badge-${kind}` }, text);
}

export function stateBadge(online: boolean): HTMLElement {
  return badge(online ? 'online' : 'offline', t(online ? 'state.online' : 'state.offline'));
}

/** An empty state that says what to do, optionally with the command to run. */
export function emptyState(
  message: MessageKey,
  opts: { command?: string; after?: MessageKey; testid?: string } = {},
): HTMLElement {
  return h(
    'div',
    { class: 'empty', role: 'status', 'data-testid': opts.testid },
    h('p', {}, t(message)),
    opts.command ? h('pre', {}, h('code', {}, opts.command)) : null,
    opts.after ? h('p', { class: 'muted' }, t(opts.after)) : null,
  );
}

/** A time as "3 minutes ago" with the absolute time on hover and for screen readers. */
export function timeAgo(ms: number | undefined): HTMLElement {
  if (ms === undefined) return h('span', { class: 'muted' }, t('common.none'));
  return h('time', { datetime: new Date(ms).toISOString(), title: dateTime(ms) }, ago(ms));
}

/** A fraction as a percentage with a small meter, for online fractions in tables. */
export function meter(fraction: number, threshold?: number): HTMLElement {
  const below = threshold !== undefined && fraction < threshold;
  return h(
    'span',
    { class: 'meter-cell' },
    h(
      'span',
      { class: 'meter', 'aria-hidden': 'true' },
      h('span', {
        class: below ? 'meter-fill below' : 'meter-fill',
        style: `width:${Math.max(0, Math.min(100, fraction * 100)).toFixed(1)}%`,
      }),
    ),
    h('span', { class: 'num' }, pct(fraction)),
  );
}

/** A simple table: a caption for assistive technology, column headers with scope, body rows. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly Child[][],
  opts: { testid?: string } = {},
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { 'data-testid': opts.testid },
      h('caption', { class: 'sr-only' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((c) => h('td', {}, c)),
          ),
        ),
      ),
    ),
  );
}
