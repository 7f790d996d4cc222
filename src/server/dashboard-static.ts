// GET /dashboard/…: the example dashboard's built files (examples/dashboard/dist, made by
// `npm run dashboard:build`), when they exist. A path that names no file and has no extension is
// a route of the single-page app and gets index.html; hashed assets are cached for good.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type http from "node:http";
import path from "node:path";

export const DASHBOARD_PATH = "/dashboard";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

async function fileAt(file: string): Promise<{ size: number } | null> {
  try {
    const info = await stat(file);
    return info.isFile() ? { size: info.size } : null;
  } catch {
    return null;
  }
}

/** The handler: true when it answered (the request was for /dashboard), false to pass it on. */
export function createDashboardStatic(root: string) {
  const base = path.resolve(root);
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== DASHBOARD_PATH && !url.pathname.startsWith(`${DASHBOARD_PATH}/`)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("Method not allowed\n");
      return true;
    }
    if (url.pathname === DASHBOARD_PATH) {
      res.writeHead(301, { location: `${DASHBOARD_PATH}/${url.search}` }).end();
      return true;
    }
    void serve(req, res, url.pathname.slice(DASHBOARD_PATH.length + 1)).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end();
    });
    return true;
  };

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, relative: string) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative);
    } catch {
      return void res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Bad path\n");
    }
    const index = path.join(base, "index.html");
    if (!(await fileAt(index))) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      return void res.end("The dashboard is not built: run `npm run dashboard:build`, then reload.\n");
    }
    const requested = path.resolve(base, decoded || "index.html");
    // Never outside the build directory (`..`, absolute paths).
    const inside = requested === base || requested.startsWith(base + path.sep);
    let file = inside ? requested : null;
    let info = file ? await fileAt(file) : null;
    if (!info) {
      if (!inside || path.extname(decoded) !== "") {
        return void res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      }
      file = index;
      info = await fileAt(index);
    }
    if (!file || !info) return void res.writeHead(404).end();
    const hashed = file.startsWith(path.join(base, "assets") + path.sep);
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "content-length": info.size,
      "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  }
}
