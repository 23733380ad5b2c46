import type { JsonObject } from '../schema/validate.js';

/**
 * A readable, self-contained HTML view of an API response for browsers: the resource or collection as
 * indented JSON in which every URL is a link, with its links and actions listed on top. No external assets.
 */
const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function linkify(json: string): string {
  return escapeHtml(json).replace(/&quot;(https?:\/\/[^&\s]+?)&quot;/g, (_m, url: string) => `&quot;<a href="${url}">${url}</a>&quot;`);
}

function listOf(title: string, entries: Record<string, unknown> | undefined, post: boolean): string {
  if (!entries || Object.keys(entries).length === 0) return '';
  const items = Object.entries(entries)
    .filter(([, url]) => typeof url === 'string')
    .map(([name, url]) => {
      const u = escapeHtml(String(url));
      const label = escapeHtml(name);
      return post ? `<li><code>POST</code> <span>${label}</span> <small>${u}</small></li>` : `<li><a href="${u}">${label}</a></li>`;
    });
  return `<section><h2>${title}</h2><ul>${items.join('')}</ul></section>`;
}

export function renderHtml(body: JsonObject, schemasUrl: string): string {
  const type = String(body.type ?? 'resource');
  const title = type === 'collection' ? `${String(body.resourceType)} collection` : `${type}${body.id ? ` ${String(body.id)}` : ''}`;
  const links = body.links as Record<string, unknown> | undefined;
  const actions = body.actions as Record<string, unknown> | undefined;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Paddock API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1d2733;background:#f7f8fa}
header{background:#1d2733;color:#fff;padding:12px 24px}header a{color:#9fd1ff}
main{padding:16px 24px;display:grid;grid-template-columns:minmax(200px,280px) 1fr;gap:24px}
h1{font-size:18px;margin:0}h2{font-size:13px;text-transform:uppercase;color:#5b6b7c;margin:16px 0 4px}
ul{list-style:none;padding:0;margin:0}li{padding:2px 0}small{color:#5b6b7c;word-break:break-all}
pre{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:16px;overflow:auto;margin:0}
a{color:#0b62c4;text-decoration:none}a:hover{text-decoration:underline}
</style></head>
<body><header><h1>${escapeHtml(title)}</h1><small><a href="${escapeHtml(schemasUrl)}">schemas</a></small></header>
<main><nav>${listOf('Links', links, false)}${listOf('Actions', actions, true)}</nav>
<pre>${linkify(JSON.stringify(body, null, 2))}</pre></main></body></html>`;
}
