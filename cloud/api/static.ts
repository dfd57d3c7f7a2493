/**
 * Serves a built dashboard (ApiOptions.staticDir) for the paths no API route claims. Small on
 * purpose instead of @fastify/static: GET/HEAD of regular files under one directory, nothing
 * else. A path can never leave the directory: `..` and dot-segments are refused before any
 * file-system call, and the resolved real path (symlinks followed) must still lie inside it.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { apiError } from './errors.ts';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export interface StaticFile {
  path: string;
  size: number;
  type: string;
  cacheControl: string;
}

export interface StaticFiles {
  /** The file to send for a URL path, or undefined when there is none (the caller answers 404). */
  resolve(urlPath: string): Promise<StaticFile | undefined>;
}

/** Resolves the root once (it must exist): a missing dashboard is a configuration error. */
export async function staticFiles(dir: string): Promise<StaticFiles> {
  const root = await realpath(dir);
  if (!(await stat(root)).isDirectory()) throw new Error(`staticDir ${dir} is not a directory`);
  const inside = (p: string) => p === root || p.startsWith(root + path.sep);

  async function file(relative: string): Promise<{ real: string; size: number } | undefined> {
    const candidate = path.join(root, relative);
    if (!inside(candidate)) return undefined;
    try {
      let real = await realpath(candidate);
      let info = await stat(real);
      if (info.isDirectory()) {
        real = await realpath(path.join(real, 'index.html'));
        info = await stat(real);
      }
      return inside(real) && info.isFile() ? { real, size: info.size } : undefined;
    } catch {
      return undefined; // ENOENT, ENOTDIR, EACCES, ELOOP: all simply "no such file" to the client
    }
  }

  return {
    async resolve(urlPath) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(urlPath.split('?')[0] ?? '');
      } catch {
        throw apiError('LW_BAD_QUERY', { reason: 'the path is not valid percent-encoding' });
      }
      // NUL and backslashes have no business in a dashboard path (the latter is a separator on Windows).
      if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
      const segments = decoded.split('/').filter((s) => s !== '');
      if (segments.some((s) => s.startsWith('.'))) return undefined; // `..`, `.`, dotfiles (.env, .git)
      const relative = segments.join('/');
      // Client-side routes of a single-page app (no extension) fall back to its index.html.
      const found =
        (await file(relative)) ?? (path.extname(relative) === '' ? await file('index.html') : undefined);
      if (found === undefined) return undefined;
      const html = found.real.endsWith('.html');
      return {
        path: found.real,
        size: found.size,
        type: TYPES[path.extname(found.real).toLowerCase()] ?? 'application/octet-stream',
        // index.html names the hashed bundles: revalidate it; the bundles themselves may be cached.
        cacheControl: html ? 'no-cache' : 'public, max-age=3600',
      };
    },
  };
}

/** Sends a resolved file; HEAD gets the headers only. */
export function sendStatic(reply: FastifyReply, f: StaticFile, head: boolean): FastifyReply {
  return reply
    .header('content-type', f.type)
    .header('content-length', f.size)
    .header('cache-control', f.cacheControl)
    .send(head ? '' : createReadStream(f.path));
}
