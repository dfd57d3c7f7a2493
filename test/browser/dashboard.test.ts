/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core) against a real cloud:
 * aedes ← scripted Sparkplug traffic (traffic.ts) → ingest → DuckDB → rates → API + the built
 * dashboard. The figures on screen must equal `/api/rates` for the same window; the language
 * switches; an enterprise shows its devices with offline reasons and a device chart; the
 * gateway view lists the edge nodes; new data after load shows up without a reload; a cloud
 * without traffic (and with a read token) shows the token prompt and then empty states; a
 * phone-size viewport renders without horizontal scrolling. Screenshots go to
 * test-artifacts/screenshots/. Every wait is on a condition in the page, never a sleep.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloud, type Cloud } from '../../cloud/app.ts';
import { ensureDashboard } from '../../cloud/dashboard.ts';
import type { RatesReport } from '../../cloud/rates/types.ts';
import { startAedes, type AedesServer } from '../helpers/aedes.ts';
import { useServer } from '../helpers/servers.ts';
import { CHROMIUM, launchChromium, screenshot } from './chromium.ts';
import { Traffic } from './traffic.ts';

const PLANT = 'test/fixtures/plants/oracle.yaml';
const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };
const TOKEN = 'dashboard-test-token';

/** The dashboard's rule, written out independently: one decimal, a dash without devices. */
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

const chrome = useServer(launchChromium, CHROMIUM);
const silent = pino({ level: 'silent' });

interface Setup {
  broker: AedesServer;
  cloud: Cloud;
  dataDir: string;
  stop(): Promise<void>;
}

async function startCloud(name: string, opts: { readToken?: string } = {}): Promise<Setup> {
  const broker = await startAedes();
  const dataDir = await mkdtemp(path.join(tmpdir(), `lianwang-dashboard-${name}-`));
  const cloud = await buildCloud({
    mqtt: { broker: broker.url, hostId: `dash-${name}`, clientId: `dash-${name}` },
    plants: [PLANT],
    dataDir,
    http: { host: '::1', port: 0 },
    staticDir: await ensureDashboard(),
    ...opts,
    log: silent,
  });
  await cloud.ingest.ready();
  return {
    broker,
    cloud,
    dataDir,
    async stop() {
      await cloud.stop();
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A page with console errors collected: the dashboard must run without any. */
async function openPage(
  browser: Browser,
  viewport: { width: number; height: number },
  errors: string[],
): Promise<Page> {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    // A 401 answer is logged by Chromium itself as a failed resource: expected where a token is due.
    if (m.type() === 'error' && !m.text().includes('401')) errors.push(`console: ${m.text()}`);
  });
  return page;
}

const text = async (page: Page, selector: string) =>
  (await page.locator(selector).first().textContent()) ?? '';

describe('dashboard against a cloud with traffic', () => {
  let s: Setup;
  let pub: MqttClient;
  let traffic: Traffic;
  const errors: string[] = [];

  beforeAll(async () => {
    s = await startCloud('traffic');
    pub = await mqtt.connectAsync(s.broker.url, { protocolVersion: 4, clientId: 'dash-pub' });
    traffic = new Traffic(pub, s.cloud);
    await traffic.initial();
  });
  afterAll(async () => {
    await pub?.endAsync();
    await s?.stop();
  });

  const rates = async (query: string): Promise<RatesReport> => {
    const res = await s.cloud.api?.inject({ url: `/api/rates?${query}` });
    return res?.json() as RatesReport;
  };

  it('shows the province KPI as /api/rates reports it, switches language, opens an enterprise, a device and the gateways, and updates live', async (ctx) => {
    const page = await openPage(chrome.get(ctx).browser, LAPTOP, errors);
    await page.goto(s.cloud.url ?? '');

    // Province, Chinese by default. The card carries the window it shows; ask the API for the same one.
    const card = page.locator('[data-testid=province-rate]');
    await card.locator('.card-value[data-value]').waitFor();
    await expect.poll(() => page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    const [from, to] =
      (await page.locator('[data-view=province]').getAttribute('data-window'))?.split('/') ?? [];
    const report = await rates(`from=${from}&to=${to}`);
    expect(report.province.window.networkedRate).toBe(3 / 8); // the scenario's hand-checked figure
    expect(await text(page, '[data-testid=province-rate] .card-value')).toBe(
      pct(report.province.window.networkedRate),
    );
    expect(await text(page, '[data-testid=target-count] .card-value')).toBe(
      `${report.target.met} / ${report.target.total}`,
    );
    expect(await text(page, '.app-title')).toBe('河北省数字化设备联网率');

    // Cities and industries as bars, each with its rate and the target line.
    const cityText = (await page.locator('[data-testid=cities-chart] svg text').allTextContents()).join(' ');
    for (const c of report.cities) expect(cityText).toContain(c.name);
    for (const c of report.cities) expect(cityText).toContain(pct(c.window.networkedRate));
    expect(cityText).toContain('目标 50.0%');
    const industryText = (
      await page.locator('[data-testid=industries-chart] svg text').allTextContents()
    ).join(' ');
    expect(industryText).toContain('钢铁');
    expect(industryText).toContain('医药');
    // Enterprise table: each enterprise's KPI as the API reports it.
    for (const e of report.enterprises) {
      const cell = page.locator(
        `[data-testid=enterprise-table] tr[data-enterprise=${e.id}] [data-col=networkedRate]`,
      );
      expect(await cell.textContent()).toBe(pct(e.window.networkedRate));
    }
    // The trend arrives after the figures (its own /api/rates/trend request): wait for its points.
    await page.waitForFunction(
      "document.querySelectorAll('[data-testid=trend-chart] svg path').length > 3 && !document.querySelector('[data-testid=trend-chart]').closest('section').textContent.includes('正在计算')",
    );
    await page.screenshot({ path: screenshot('province-zh'), fullPage: true });
    // Sorting: the KPI column, highest first by default; a click reverses it.
    const firstRow = () =>
      page.locator('[data-testid=enterprise-table] tbody tr').first().getAttribute('data-enterprise');
    expect(await firstRow()).toBe('e1');
    await page.locator('[data-testid=enterprise-table] th[aria-sort=descending] button').click();
    await page.locator('[data-testid=enterprise-table] th[aria-sort=ascending]').waitFor();
    expect(await firstRow()).toBe('e2');

    // Language: every label changes, the choice survives a reload.
    await page.locator('[data-testid=lang]').click();
    await expect.poll(() => text(page, '.app-title')).toBe('Hebei: networked rate of digital equipment');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en-GB');
    await page.waitForFunction(
      "document.querySelector('[data-testid=industries-chart]').textContent.includes('Steel')",
    );
    expect(await text(page, '[data-testid=province-rate] .card-label')).toBe(
      'Networked rate of digital equipment',
    );
    await page.reload();
    await expect.poll(() => text(page, '.app-title')).toBe('Hebei: networked rate of digital equipment');

    // Enterprise e1: ratios, devices with their state and offline reason.
    await page.locator('[data-testid=enterprise-table] a', { hasText: '一号钢铁' }).click();
    await page.locator('[data-view=enterprise] [data-testid=enterprise-rate]').waitFor();
    expect(page.url()).toMatch(/#\/enterprise\/e1$/);
    const e1 = report.enterprises.find((e) => e.id === 'e1');
    expect(await text(page, '[data-testid=enterprise-rate] .card-value')).toBe(
      pct(e1?.window.networkedRate ?? null),
    );
    expect(await text(page, '[data-testid=enterprise-digitization] .card-value')).toBe(
      pct(e1?.window.digitizationRate ?? null),
    );
    // Page code as strings: the test's tsconfig has no DOM library.
    const rowsOfLine =
      "[...document.querySelectorAll('[data-testid=devices] tbody[data-line=l1] tr[data-device]')]";
    const reasons = await page.evaluate<string[][]>(
      `${rowsOfLine}.map((r) => [r.dataset.device, (r.querySelector('[data-reason]') ?? r.querySelector('.badge')).textContent])`,
    );
    expect(reasons).toEqual([
      ['a1', 'Online'],
      ['a2', 'Device unreachable'],
      ['a3', 'Device unreachable'],
      ['a4', 'Never connected'],
      ['m1', 'Never connected'],
    ]);
    await page.screenshot({ path: screenshot('enterprise-en'), fullPage: true });

    // A device's recent values as a line chart.
    await page.locator('[data-device=a1] a').click();
    await page.waitForFunction("document.querySelectorAll('[data-testid=device-chart] svg path').length > 0");
    expect(page.url()).toMatch(/#\/enterprise\/e1\/device\/a1$/);
    expect(await text(page, '[data-testid=device-panel] h2')).toBe('a1: last hour');
    await page.locator('[data-testid=device-panel]').screenshot({ path: screenshot('device-chart-en') });

    // Gateways: gw1 online (bdSeq 0), gw2 dead after its NDEATH; the unregistered device.
    await page.locator('nav a[href="#/gateways"]').click();
    await page.locator('[data-testid=nodes-table]').waitFor();
    const nodes = await page.evaluate<
      string[][]
    >(`[...document.querySelectorAll('[data-testid=nodes-table] tbody tr')]
      .map((r) => [...r.querySelectorAll('td')].slice(0, 4).map((c) => c.textContent))`);
    expect(nodes).toEqual([
      ['一号钢铁 e1', 'gw1', 'Online', '0'],
      ['二号制药 e2', 'gw2', 'Offline', '0'],
    ]);
    expect(await text(page, '[data-testid=unregistered-table] tbody')).toContain('ghost');
    await page.screenshot({ path: screenshot('gateways-en'), fullPage: true });

    // Live: a3's buffered history arrives; the page follows without a reload.
    await page.locator('nav a[href="#/"]').click();
    await page.locator('[data-testid=province-rate] .card-value[data-value]').waitFor();
    await page.evaluate('window.__notReloaded = true');
    await page.waitForFunction(
      "document.querySelector('[data-testid=live-state]')?.classList.contains('on')",
    );
    await traffic.fillA3();
    const after = await rates(`window=24h`);
    expect(after.province.window.networkedRate).toBe(4 / 8);
    await page.waitForFunction(
      `document.querySelector('[data-testid=province-rate] .card-value').textContent === ${JSON.stringify(pct(0.5))}`,
    );
    expect(await page.evaluate('window.__notReloaded')).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('renders on a phone without horizontal scrolling', async (ctx) => {
    const page = await openPage(chrome.get(ctx).browser, PHONE, errors);
    await page.goto(s.cloud.url ?? '');
    await page.locator('[data-testid=province-rate] .card-value[data-value]').waitFor();
    await page.waitForFunction("document.querySelectorAll('[data-testid=cities-chart] svg text').length > 0");
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: screenshot('province-phone-zh'), fullPage: true });
    await page.goto(`${s.cloud.url ?? ''}#/enterprise/e2`);
    await page.locator('[data-testid=devices]').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    expect(await page.locator('[data-reason=gateway_down]').count()).toBe(3);
    await page.screenshot({ path: screenshot('enterprise-phone-zh'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('dashboard against a cloud with a read token and no traffic', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await startCloud('empty', { readToken: TOKEN });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('asks for the token, then shows empty states that say what to do', async (ctx) => {
    const errors: string[] = [];
    const page = await openPage(chrome.get(ctx).browser, LAPTOP, errors);
    await page.goto(s.cloud.url ?? '');
    const form = page.locator('[data-testid=token-form]');
    await form.waitFor();
    await page.screenshot({ path: screenshot('token-zh') });

    await page.locator('#token').fill('wrong');
    await form.locator('button[type=submit]').click();
    await page.locator('#token-error').waitFor();

    await page.locator('#token').fill(TOKEN);
    await form.locator('button[type=submit]').click();
    const empty = page.locator('[data-testid=empty-gateways]');
    await empty.waitFor();
    expect(await empty.textContent()).toContain('npx lianwang gateway config/gateways/ts-steel.yaml');
    expect(await text(page, '[data-testid=province-rate] .card-value')).toBe('0.0%');
    expect(await page.evaluate("sessionStorage.getItem('lianwang.token')")).toBe(TOKEN);
    // The live stream authenticates with the same token (as ?access_token=).
    await page.waitForFunction(
      "document.querySelector('[data-testid=live-state]')?.classList.contains('on')",
    );
    await page.screenshot({ path: screenshot('empty-zh'), fullPage: true });

    await page.locator('nav a[href="#/gateways"]').click();
    await page.locator('[data-view=gateways] [data-testid=empty-gateways]').waitFor();
    expect(await text(page, '[data-testid=nodes-online] .card-value')).toBe('0 / 0');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
