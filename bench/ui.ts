// The web UI's figures: time to the first meaningful paint of the cluster list with 1,000 clusters (the first
// page of them painted, as `performance.mark('paddock:clusters-painted')` records it, from navigation start),
// cold (a fresh browser profile) and warm (a reload with the assets cached); and the bytes of JavaScript the
// server ships for it, gzip-compressed as served. Chromium is Debian's (/usr/bin/chromium, headless).
//
// Standalone: `node --import tsx bench/ui.ts` (after `npm run build`).
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { ADMIN_PASSWORD, httpsCall } from '../packages/server/src/testing/test-server.js';
import { prepareData, readCa, startPaddock, waitUntilSettled } from './paddock.js';
import { cleanupAll, installCleanupHandlers, makeTempDir, stopChild } from './processes.js';
import { median, round, verdict } from './stats.js';

const CLUSTERS = 1000;
const RUNS = 5;
const CREATE_CONCURRENCY = 8;
const TARGETS = { paintMs: 1000, jsGzipKb: 250 };
const CHROMIUM = process.env.PADDOCK_CHROMIUM ?? '/usr/bin/chromium';

export interface UiResult {
  json: Record<string, unknown>;
  targetsMet: Record<string, boolean>;
}

/** Creates clusters c-004 … (the first three come from prepareData) a few requests at a time. */
async function createClusters(url: string, ca: string, token: string, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next <= to) {
      const name = `c-${String(next++).padStart(4, '0')}`;
      const res = await httpsCall(`${url}/v3/clusters`, ca, 'POST', { token, body: { name, rancherKubernetesEngineConfig: {} } });
      if (res.status !== 201) throw new Error(`create cluster ${name}: ${res.status} ${res.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
}

/** The scripts index.html loads (entry and preloads), as the server sends them to a browser asking for gzip. */
async function shippedJs(url: string, ca: string): Promise<{ files: { path: string; bytes: number; gzipBytes: number }[]; cssGzipBytes: number }> {
  const index = await httpsCall(`${url}/`, ca, 'GET', { headers: { accept: 'text/html' } });
  if (index.status !== 200) throw new Error(`GET /: ${index.status}`);
  const paths = [...index.text.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] ?? '');
  const files: { path: string; bytes: number; gzipBytes: number }[] = [];
  let cssGzipBytes = 0;
  for (const path of [...new Set(paths)]) {
    const res = await httpsCall(`${url}${path}`, ca, 'GET');
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    const body = Buffer.from(res.text, 'utf8');
    // The server's own gzip copy (level 9) is what a browser receives; recompute it the same way.
    const gzipBytes = gzipSync(body, { level: 9 }).length;
    if (path.endsWith('.css')) cssGzipBytes += gzipBytes;
    else files.push({ path, bytes: body.length, gzipBytes });
  }
  if (files.length === 0) throw new Error('index.html loads no script: is packages/ui built?');
  return { files, cssGzipBytes };
}

async function paintMs(page: import('playwright-core').Page, url: string, reload: boolean): Promise<number> {
  if (reload) await page.reload({ waitUntil: 'commit' });
  else await page.goto(`${url}/clusters`, { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('paddock:clusters-painted').length > 0, undefined, { timeout: 30_000, polling: 20 });
  const rows = await page.locator('[data-testid="clusters-table"] tbody tr').count();
  if (rows === 0) throw new Error('the cluster list painted no rows');
  return page.evaluate(() => performance.getEntriesByName('paddock:clusters-painted')[0]?.startTime ?? Number.NaN);
}

export async function measureUi(log: (line: string) => void): Promise<UiResult> {
  const dataDir = await makeTempDir('paddock-bench-ui-');
  const first = await startPaddock(dataDir, undefined);
  const ca = await readCa(dataDir);
  let browser: Browser | undefined;
  try {
    const apiKey = await prepareData(first.url, ca, 3);
    const createStarted = performance.now();
    await createClusters(first.url, ca, apiKey, 4, CLUSTERS - 1); // + the `local` cluster = CLUSTERS
    const total = await httpsCall(`${first.url}/v3/clusters?limit=1`, ca, 'GET', { token: apiKey });
    const count = Number(total.json?.pagination?.total);
    if (count !== CLUSTERS) throw new Error(`expected ${CLUSTERS} clusters, the server lists ${count}`);
    await waitUntilSettled(first.url, ca, '/v3/clusters?limit=50', apiKey);
    log(`web UI: ${CLUSTERS} clusters created through the API in ${((performance.now() - createStarted) / 1000).toFixed(1)} s`);

    const js = await shippedJs(first.url, ca);
    const jsGzip = js.files.reduce((n, f) => n + f.gzipBytes, 0);
    const jsRaw = js.files.reduce((n, f) => n + f.bytes, 0);
    log(`  JavaScript shipped: ${(jsGzip / 1024).toFixed(1)} KB gzip (${(jsRaw / 1024).toFixed(1)} KB raw, ${js.files.length} file(s)), CSS ${(js.cssGzipBytes / 1024).toFixed(1)} KB gzip  ` +
      `target <= ${TARGETS.jsGzipKb} KB: ${verdict(jsGzip / 1024 <= TARGETS.jsGzipKb)}`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const login = await httpsCall(`${first.url}/v3-public/localProviders/local?action=login`, ca, 'POST', {
      body: { username: 'admin', password: ADMIN_PASSWORD, responseType: 'cookie' },
    });
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      return { name: pair.slice(0, eq), value: pair.slice(eq + 1), url: first.url, secure: true };
    });
    if (!cookies.some((c) => c.name === 'R_SESS')) throw new Error(`cookie login failed: ${login.status} ${login.text}`);

    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
      await context.addCookies(cookies);
      const page = await context.newPage();
      cold.push(await paintMs(page, first.url, false));
      warm.push(await paintMs(page, first.url, true));
      await context.close();
    }
    const coldMedian = median(cold);
    const warmMedian = median(warm);
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    log(`  first meaningful paint of the cluster list (${CLUSTERS} clusters, first page of 50): cold median ${coldMedian.toFixed(0)} ms [${fmt(cold)}], ` +
      `warm median ${warmMedian.toFixed(0)} ms [${fmt(warm)}]  target <= ${TARGETS.paintMs} ms: ${verdict(coldMedian <= TARGETS.paintMs)}`);
    return {
      json: {
        clusters: CLUSTERS,
        jsGzipKb: round(jsGzip / 1024, 1),
        jsRawKb: round(jsRaw / 1024, 1),
        cssGzipKb: round(js.cssGzipBytes / 1024, 1),
        paintColdMs: { median: round(coldMedian, 0), samples: cold.map((x) => round(x, 0)) },
        paintWarmMs: { median: round(warmMedian, 0), samples: warm.map((x) => round(x, 0)) },
      },
      targetsMet: { uiPaint: coldMedian <= TARGETS.paintMs, uiJsGzip: jsGzip / 1024 <= TARGETS.jsGzipKb },
    };
  } finally {
    await browser?.close();
    await stopChild(first.child);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  installCleanupHandlers();
  try {
    const result = await measureUi((line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    process.exitCode = 1;
    console.error('ui benchmark failed:', err);
  } finally {
    await cleanupAll();
  }
}
