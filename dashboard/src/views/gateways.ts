/**
 * Gateway view: the Sparkplug edge nodes as the cloud's host application sees them (online
 * between NBIRTH and NDEATH, bdSeq of the session, store-and-forward backlog the gateway
 * reports, last birth/death/message, its devices), ingest counters, the store, and devices
 * that report but are not in the ledger (they never count in the KPI).
 */
import { api, type NodesResponse, type UnregisteredDevice } from '../api.ts';
import { fill, h } from '../dom.ts';
import { bytes, count } from '../format.ts';
import { t } from '../i18n.ts';
import type { Ctx, View } from '../state.ts';
import { card, emptyState, GATEWAY_COMMAND, stateBadge, table, timeAgo } from './common.ts';

export class GatewaysView implements View {
  readonly #root: HTMLElement;
  #nodes: NodesResponse | undefined;
  #unregistered: UnregisteredDevice[] = [];

  constructor(
    private readonly ctx: Ctx,
    container: HTMLElement,
  ) {
    this.#root = h('div', { class: 'view', 'data-view': 'gateways' });
    container.append(this.#root);
  }

  async load(): Promise<void> {
    const [nodes, unregistered] = await Promise.all([
      api.nodes(),
      api.unregistered(),
      this.ctx.ledger.ensure(),
    ]);
    this.#nodes = nodes;
    this.#unregistered = unregistered.devices;
  }

  render(): void {
    const n = this.#nodes;
    if (!n) return;
    document.title = `${t('gateways.title')} · ${t('app.title')}`;
    const online = n.nodes.filter((x) => x.online).length;
    const rejected = Object.values(n.ingest.rejected).reduce((a, b) => a + b, 0);
    const nodes = [...n.nodes].sort((a, b) => a.group.localeCompare(b.group) || a.node.localeCompare(b.node));
    fill(
      this.#root,
      h('h1', {}, t('gateways.title')),
      h(
        'div',
        { class: 'cards' },
        card(t('gateways.nodes'), `${online} / ${n.nodes.length}`, '', {
          testid: 'nodes-online',
          tone: n.nodes.length === 0 ? 'neutral' : online === n.nodes.length ? 'good' : 'bad',
        }),
        card(t('gateways.messages'), count(n.ingest.messages), '', { testid: 'ingest-messages' }),
        card(t('gateways.samples'), count(n.ingest.samplesStored), '', { testid: 'ingest-samples' }),
        card(t('gateways.rejected'), count(rejected), '', { tone: rejected > 0 ? 'bad' : 'neutral' }),
        card(t('gateways.store'), n.store.kind === 'duckdb' ? 'DuckDB' : 'InfluxDB', n.store.location),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'nodes-title' },
        h('h2', { id: 'nodes-title' }, t('nav.gateways')),
        nodes.length === 0
          ? emptyState('empty.noGateway', {
              command: GATEWAY_COMMAND,
              after: 'empty.noGatewayAfter',
              testid: 'empty-gateways',
            })
          : table(
              t('gateways.title'),
              [
                t('col.group'),
                t('col.node'),
                t('col.sparkplug'),
                t('col.bdSeq'),
                t('col.backlog'),
                t('col.lastBirth'),
                t('col.lastDeath'),
                t('col.lastMessage'),
                t('col.devices'),
              ],
              nodes.map((x) => [
                this.#group(x.group),
                h('span', { 'data-node': x.node }, x.node),
                stateBadge(x.online),
                h('span', { class: 'num' }, x.bdSeq ?? t('common.none')),
                h(
                  'span',
                  { class: 'num' },
                  x.backlog
                    ? t('gateways.backlogValue', {
                        entries: count(x.backlog.entries),
                        bytes: bytes(x.backlog.bytes),
                      })
                    : t('common.none'),
                ),
                timeAgo(x.lastBirth),
                timeAgo(x.lastDeath),
                timeAgo(x.lastMessage),
                h(
                  'span',
                  {
                    title: x.devices
                      .map((d) => `${d.id}: ${t(d.online ? 'state.online' : 'state.offline')}`)
                      .join('\n'),
                  },
                  t('gateways.devicesValue', {
                    online: x.devices.filter((d) => d.online).length,
                    total: x.devices.length,
                  }),
                ),
              ]),
              { testid: 'nodes-table' },
            ),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'unregistered-title' },
        h('h2', { id: 'unregistered-title' }, t('unregistered.title')),
        h('p', { class: 'muted sub' }, t('unregistered.detail')),
        this.#unregistered.length === 0
          ? h('p', { class: 'empty-inline' }, t('unregistered.empty'))
          : table(
              t('unregistered.title'),
              [t('col.group'), t('col.node'), t('col.device'), t('col.firstSeen'), t('col.lastSeen')],
              this.#unregistered.map((u) => [
                this.#group(u.enterprise),
                u.node,
                u.device,
                timeAgo(u.firstSeen),
                timeAgo(u.lastSeen),
              ]),
              { testid: 'unregistered-table' },
            ),
      ),
    );
  }

  /** A Sparkplug group is an enterprise id: its name and a link when the ledger knows it. */
  #group(id: string): HTMLElement {
    const e = this.ctx.ledger.enterprise(id);
    if (!e) return h('span', { 'data-group': id }, id);
    return h(
      'span',
      { 'data-group': id },
      h('a', { href: `#/enterprise/${encodeURIComponent(id)}` }, e.name),
      h('span', { class: 'muted small' }, ` ${id}`),
    );
  }

  dispose(): void {
    this.#root.remove();
  }
}
