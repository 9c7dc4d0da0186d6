/** `/api/openapi.json` and the `/docs` reference page, both built once at start. */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { renderDocsPage } from './docs-page.ts';
import { createOpenApiDocument } from './openapi-document.ts';

/** The page carries inline CSS and nothing else: no script, no remote resource. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** Creates the documentation routes for `issuer`. */
export function createOpenApiRoutes(opts: { issuer: string }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const doc = createOpenApiDocument(opts.issuer);
  const json = JSON.stringify(doc);
  const html = renderDocsPage(doc);
  app.get('/api/openapi.json', (c) =>
    c.body(json, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' }),
  );
  app.get('/docs', (c) =>
    c.body(html, 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
      'Content-Security-Policy': DOCS_CSP,
    }),
  );
  return app;
}
