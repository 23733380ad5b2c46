import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { safeJoin } from './assets.js';
import { registerUi, type UiOptions } from './static.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const BIG_JS = `console.log(${JSON.stringify('paddock '.repeat(400))});`;

async function build(dir: string, index: string) {
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(dir, 'index.html'), index);
  await writeFile(join(dir, 'assets', 'index-abc123.js'), BIG_JS);
  await writeFile(join(dir, 'assets', 'index-abc123.css'), 'body{color:red}');
  await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(dir, '.secret'), 'no');
}

/** A fastify app with the UI and an API-like 404 handler, as the server wires them. */
async function app(options: UiOptions): Promise<FastifyInstance> {
  const a = Fastify();
  a.setNotFoundHandler((req, reply) => reply.code(404).type('application/json').send({ type: 'error', status: 404, code: 'NotFound', message: `no route for ${req.url}` }));
  a.get('/v3/*', async () => ({ api: true }));
  registerUi(a, options);
  await a.ready();
  return a;
}

describe('the UI routes', () => {
  let dir: string;
  let other: string;
  let a: FastifyInstance;
  let uiIndex = 'local';
  before(async () => {
    const base = await mkdtemp(join(tmpdir(), 'paddock-ui-'));
    dir = join(base, 'dist');
    other = join(base, 'other');
    await build(dir, '<!doctype html><title>bundled</title>');
    await build(other, '<!doctype html><title>other</title>');
    a = await app({ root: dir, uiIndex: () => uiIndex, fetchText: async (url) => `<!doctype html><title>remote ${url}</title>` });
  });
  after(async () => {
    await a.close();
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  test('/ and client routes get index.html, uncached, with a CSP and no framing', async () => {
    for (const url of ['/', '/clusters', '/clusters/c-abcde/nodes?x=1', '/account']) {
      const res = await a.inject({ url, headers: HTML });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'; /);
      assert.match(res.body, /bundled/);
    }
    // `/` is the UI for any client; curl and scripts still get the API's 404 for other unknown paths.
    assert.equal((await a.inject({ url: '/' })).statusCode, 200);
    const api = await a.inject({ url: '/nothing-here' });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().code, 'NotFound');
  });

  test('API paths are never answered with the page', async () => {
    assert.deepEqual((await a.inject({ url: '/v3/clusters', headers: HTML })).json(), { api: true });
    for (const url of ['/meta/x', '/k8s/clusters/c-x/api', '/v3-public/x']) {
      const res = await a.inject({ url, headers: HTML });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().code, 'NotFound');
    }
    assert.equal((await a.inject({ url: '/v3', method: 'POST', headers: HTML })).statusCode, 404);
  });

  test('hashed assets: right type, cached a year, gzip when asked, 304 on a matching ETag', async () => {
    const plain = await a.inject({ url: '/assets/index-abc123.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');
    assert.equal(plain.body, BIG_JS);
    const gz = await a.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.rawPayload).toString(), BIG_JS);
    assert.ok(gz.rawPayload.length < BIG_JS.length / 4);
    const again = await a.inject({ url: '/assets/index-abc123.js', headers: { 'if-none-match': String(plain.headers.etag) } });
    assert.equal(again.statusCode, 304);
    assert.equal((await a.inject({ url: '/assets/index-abc123.css' })).headers['content-type'], 'text/css; charset=utf-8');
    assert.equal((await a.inject({ url: '/favicon.svg' })).headers['content-type'], 'image/svg+xml');
    assert.equal((await a.inject({ url: '/assets/missing.js' })).statusCode, 404);
  });

  test('no way out of the build directory', async () => {
    const attempts = [
      '/assets/../index.html',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..\\..\\etc\\passwd',
      '/assets/.%2e/.%2e/etc/passwd',
      '/.secret',
      '/assets/%00index-abc123.js',
      '/..%2f..%2fetc%2fpasswd',
    ];
    for (const url of attempts) {
      const res = await a.inject({ url });
      assert.ok(res.statusCode === 404 || res.statusCode === 400, `${url}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /root:|"name"|no<\/|^no$/, url);
    }
    assert.equal(safeJoin('/srv/ui', 'assets/../../etc/passwd'), undefined);
    assert.equal(safeJoin('/srv/ui', 'assets/a.js'), '/srv/ui/assets/a.js');
  });

  test('ui-index picks another build directory, or a remote index.html', async () => {
    uiIndex = other;
    assert.match((await a.inject({ url: '/clusters', headers: HTML })).body, /other/);
    uiIndex = join(other, 'index.html');
    assert.match((await a.inject({ url: '/', headers: HTML })).body, /other/);
    uiIndex = 'https://ui.example.com/paddock/index.html';
    const remote = await a.inject({ url: '/', headers: HTML });
    assert.match(remote.body, /remote https:\/\/ui\.example\.com\/paddock\/index\.html/);
    assert.match(String(remote.headers['content-security-policy']), /script-src 'self' https:\/\/ui\.example\.com;/);
    uiIndex = 'local';
    assert.match((await a.inject({ url: '/', headers: HTML })).body, /bundled/);
  });

  test('without a build, a page says how to build one', async () => {
    const bare = await app({ root: join(dir, 'nope') });
    const res = await bare.inject({ url: '/', headers: HTML });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /npm run build/);
    await bare.close();
  });
});
