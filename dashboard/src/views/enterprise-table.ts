/**
 * The province's enterprises with the three ratios, sortable by any column. Sorting is
 * client-side over the report's rows; the chosen column survives refreshes. Header buttons
 * carry the sort state in `aria-sort`, so the order is announced, not only drawn.
 */
import type { RateRow } from '../api.ts';
import { h } from '../dom.ts';
import { pct } from '../format.ts';
import { t, type MessageKey } from '../i18n.ts';
import { industryName, type Ctx } from '../state.ts';
import { badge } from './common.ts';

interface Row {
  id: string;
  name: string;
  city: string;
  industry: string;
  leading: boolean;
  row: RateRow;
}

type Key =
  | 'name'
  | 'city'
  | 'industry'
  | 'devices'
  | 'networkedRate'
  | 'deviceNetworkedRate'
  | 'digitizationRate'
  | 'live';

interface Column {
  key: Key;
  label: MessageKey;
  numeric: boolean;
  value(r: Row): string | number | null;
}

const COLUMNS: readonly Column[] = [
  { key: 'name', label: 'col.enterprise', numeric: false, value: (r) => r.name },
  { key: 'city', label: 'col.city', numeric: false, value: (r) => r.city },
  { key: 'industry', label: 'col.industry', numeric: false, value: (r) => r.industry },
  { key: 'devices', label: 'col.devices', numeric: true, value: (r) => r.row.window.devices },
  {
    key: 'networkedRate',
    label: 'kpi.networkedRate',
    numeric: true,
    value: (r) => r.row.window.networkedRate,
  },
  {
    key: 'deviceNetworkedRate',
    label: 'kpi.deviceNetworkedRate',
    numeric: true,
    value: (r) => r.row.window.deviceNetworkedRate,
  },
  {
    key: 'digitizationRate',
    label: 'kpi.digitizationRate',
    numeric: true,
    value: (r) => r.row.window.digitizationRate,
  },
  { key: 'live', label: 'kpi.live', numeric: true, value: (r) => r.row.live.networkedRate },
];

export class EnterpriseTable {
  #key: Key = 'networkedRate';
  #descending = true;

  constructor(
    private readonly ctx: Ctx,
    private readonly onSort: () => void,
  ) {}

  render(rows: readonly RateRow[], target: number): HTMLElement {
    const data: Row[] = rows.map((row) => {
      const e = this.ctx.ledger.enterprise(row.id);
      return {
        id: row.id,
        name: row.name,
        city: e ? this.ctx.ledger.cityName(e.city) : '',
        industry: e ? industryName(e.industry) : '',
        leading: e?.leading ?? false,
        row,
      };
    });
    const col = COLUMNS.find((c) => c.key === this.#key) ?? COLUMNS[0];
    if (col) data.sort((a, b) => this.#compare(col, a, b));

    const head = COLUMNS.map((c) => {
      const active = c.key === this.#key;
      const label = t(c.label);
      return h(
        'th',
        {
          scope: 'col',
          class: c.numeric ? 'num' : undefined,
          'aria-sort': active ? (this.#descending ? 'descending' : 'ascending') : 'none',
        },
        h(
          'button',
          {
            type: 'button',
            class: 'sort',
            title: t('table.sortBy', { column: label }),
            onclick: () => this.#sortBy(c),
          },
          label,
          h(
            'span',
            { class: 'sort-mark', 'aria-hidden': 'true' },
            active ? (this.#descending ? '▼' : '▲') : '↕',
          ),
        ),
      );
    });
    const body = data.map((r) =>
      h(
        'tr',
        { 'data-enterprise': r.id },
        h(
          'th',
          { scope: 'row' },
          h('a', { href: `#/enterprise/${encodeURIComponent(r.id)}` }, r.name),
          r.leading ? [' ', badge('leading', t('common.leading'))] : null,
        ),
        h('td', {}, r.city),
        h('td', {}, r.industry),
        h('td', { class: 'num' }, `${r.row.window.digital} / ${r.row.window.devices}`),
        h(
          'td',
          {
            class: `num strong ${rateClass(r.row.window.networkedRate, target)}`,
            'data-col': 'networkedRate',
          },
          pct(r.row.window.networkedRate),
        ),
        h('td', { class: 'num' }, pct(r.row.window.deviceNetworkedRate)),
        h('td', { class: 'num' }, pct(r.row.window.digitizationRate)),
        h('td', { class: 'num' }, pct(r.row.live.networkedRate)),
      ),
    );
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { 'data-testid': 'enterprise-table' },
        h('caption', { class: 'sr-only' }, t('table.enterprises')),
        h('thead', {}, h('tr', {}, head)),
        h('tbody', {}, body),
      ),
    );
  }

  #sortBy(c: Column): void {
    if (c.key === this.#key) this.#descending = !this.#descending;
    else {
      this.#key = c.key;
      this.#descending = c.numeric; // numbers: highest first; names: A→Z
    }
    this.onSort();
  }

  #compare(col: Column, a: Row, b: Row): number {
    const va = col.value(a);
    const vb = col.value(b);
    // Rows without a rate (no devices) go last in either direction.
    if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
    const d =
      typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return (this.#descending ? -d : d) || a.id.localeCompare(b.id);
  }
}

export function rateClass(rate: number | null, target: number): string {
  return rate === null ? '' : rate >= target ? 'good' : 'bad';
}
