import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of a UI build, ready to send: its bytes, a gzip copy when that helps, a content type and an ETag. */
export interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml)/;
/** One path segment of a file name a build produces: no dot-dot, no separators, no encoded tricks. */
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$/;

/**
 * The file under `root` that a URL path names, or undefined when the path is not a plain relative file name
 * (`..`, backslashes, NUL, dot-files and percent-escapes are all refused before the file system is asked).
 */
export function safeJoin(root: string, urlPath: string): string | undefined {
  const segments = urlPath.split('/').filter((s) => s !== '');
  if (segments.length === 0 || !segments.every((s) => SAFE_SEGMENT.test(s) && !s.includes('..'))) return undefined;
  const base = resolve(root);
  const full = resolve(base, ...segments);
  return full.startsWith(base + sep) ? full : undefined;
}

/**
 * Files of one UI build directory, read on first use and kept in memory (a build is a few hundred KB).
 * A file whose size or modification time changed is read again, so a rebuild shows without a restart.
 */
export class AssetDirectory {
  readonly #cache = new Map<string, { mtimeMs: number; size: number; asset: Asset }>();

  constructor(readonly root: string) {}

  /** The file at `urlPath` under the root, or undefined when it does not exist or is not a file. */
  async get(urlPath: string): Promise<Asset | undefined> {
    const file = safeJoin(this.root, urlPath);
    return file === undefined ? undefined : this.#load(file);
  }

  async index(): Promise<Asset | undefined> {
    return this.#load(join(resolve(this.root), 'index.html'));
  }

  async #load(file: string): Promise<Asset | undefined> {
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!info?.isFile()) return undefined;
    const cached = this.#cache.get(file);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.asset;
    const asset = makeAsset(await readFile(file), contentTypeOf(file));
    this.#cache.set(file, { mtimeMs: info.mtimeMs, size: info.size, asset });
    return asset;
  }
}

export function makeAsset(body: Buffer, contentType: string): Asset {
  let gzip: Buffer | undefined;
  if (COMPRESSIBLE.test(contentType) && body.length > 512) {
    const packed = gzipSync(body, { level: 9 });
    if (packed.length < body.length * 0.9) gzip = packed;
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzip, contentType, etag };
}
