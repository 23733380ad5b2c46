import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { httpsCall, type TestResponse } from '../../packages/server/src/testing/test-server.js';
import { repoRoot } from '../support/server-process.js';

/** Debian's chromium (installed by scripts/ensure-system-deps.mjs); no browser is ever downloaded. */
export const CHROMIUM = process.env.PADDOCK_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(repoRoot, 'e2e', 'artifacts', 'ui');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A fresh browser profile for `url` (the server's self-signed CA accepted, clipboard allowed). */
export async function newContext(browser: Browser, url: string, viewport = { width: 1280, height: 860 }): Promise<BrowserContext> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  return context;
}

/**
 * Collects script errors and console errors the page logs. The browser's own "Failed to load resource"
 * lines for 4xx answers are left out: the tests cause those on purpose, and the page shows them in words.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** An API call with a token, skipping certificate checks like the browser context. */
export function apiCall(url: string, token: string, method: string, path: string, body?: unknown): Promise<TestResponse> {
  return httpsCall(url + path, '', method, { token, body, insecure: true });
}

export async function loginToken(url: string, username: string, password: string): Promise<string> {
  const res = await httpsCall(`${url}/v3-public/localProviders/local?action=login`, '', 'POST', { body: { username, password }, insecure: true });
  if (res.status !== 201) throw new Error(`login as ${username}: ${res.status} ${res.text}`);
  return String(res.json.token);
}

/** Logs in through the login form. */
export async function logIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
