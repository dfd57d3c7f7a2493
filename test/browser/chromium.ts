/**
 * Debian's Chromium driven by playwright-core (never a browser download: this machine's
 * network is closed). Missing Chromium: outside CI the tests skip with the install command,
 * under CI=true they fail (the ServerSlot pattern of test/helpers/servers.ts).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { requireBinary, type Binary } from '../helpers/binaries.ts';

export const CHROMIUM: Binary = {
  name: 'chromium',
  // fonts-noto-cjk: without a CJK font Chinese labels render as boxes in the screenshots.
  installHint: 'apt-get install -y chromium fonts-noto-cjk',
};

export const SCREENSHOTS = path.resolve('test-artifacts/screenshots');

export interface RunningBrowser {
  browser: Browser;
  stop(): Promise<void>;
}

export async function launchChromium(): Promise<RunningBrowser> {
  const found = requireBinary(CHROMIUM.name, CHROMIUM.installHint);
  if (!found.found) throw new Error(found.message);
  await mkdir(SCREENSHOTS, { recursive: true });
  // launch() gives every run a fresh temporary profile (--user-data-dir) and removes it on close.
  const browser = await chromium.launch({
    executablePath: found.path,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // Without these Chromium keeps dialling Google's hosts, which this closed network refuses.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return { browser, stop: () => browser.close() };
}

export function screenshot(name: string): string {
  return path.join(SCREENSHOTS, `${name}.png`);
}
