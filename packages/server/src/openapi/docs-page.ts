/**
 * A self-contained HTML reference page rendered on the server from the OpenAPI document: no
 * script, no CDN, no external font, so it works on machines without internet access.
 */

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const anchor = (text: string): string => text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Pretty JSON of a schema with `$ref`s turned into links to the schema section. */
function renderSchema(schema: unknown): string {
  const text = escapeHtml(JSON.stringify(schema, null, 2));
  return `<pre>${text.replace(
    /&quot;#\/components\/schemas\/([A-Za-z0-9_]+)&quot;/g,
    (_m, name: string) => `<a href="#schema-${name}">&quot;#/components/schemas/${name}&quot;</a>`,
  )}</pre>`;
}

function renderContent(content: unknown): string {
  if (!isObject(content)) return '';
  return Object.entries(content)
    .map(
      ([type, media]) =>
        `<div class="media">${escapeHtml(type)}</div>${isObject(media) ? renderSchema(media.schema) : ''}`,
    )
    .join('');
}

function renderOperation(path: string, method: string, op: Json): string {
  const id = anchor(`${method}-${path}`);
  const parts: string[] = [
    `<section class="op" id="${id}">`,
    `<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p class="summary">${escapeHtml(str(op.summary))}</p>`,
  ];
  if (op.description !== undefined) parts.push(`<p>${escapeHtml(str(op.description))}</p>`);
  if (Array.isArray(op.security)) {
    const scopes = op.security
      .flatMap((s) => (isObject(s) ? Object.values(s).flat() : []))
      .filter((s) => typeof s === 'string');
    if (scopes.length > 0)
      parts.push(
        `<p>Requires scope <code>${scopes.map((s) => escapeHtml(String(s))).join('</code>, <code>')}</code></p>`,
      );
  }
  if (Array.isArray(op.parameters) && op.parameters.length > 0) {
    parts.push('<table><tr><th>parameter</th><th>in</th><th>schema</th><th>description</th></tr>');
    for (const p of op.parameters) {
      if (!isObject(p)) continue;
      parts.push(
        `<tr><td><code>${escapeHtml(str(p.name))}</code>${p.required === true ? ' *' : ''}</td><td>${escapeHtml(str(p.in))}</td>` +
          `<td><code>${escapeHtml(JSON.stringify(p.schema ?? {}))}</code></td><td>${escapeHtml(str(p.description))}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  if (isObject(op.requestBody)) parts.push('<h4>Request body</h4>', renderContent(op.requestBody.content));
  if (isObject(op.responses)) {
    parts.push('<h4>Responses</h4>');
    for (const [status, response] of Object.entries(op.responses)) {
      if (!isObject(response)) continue;
      parts.push(
        `<details><summary><b>${escapeHtml(status)}</b> ${escapeHtml(str(response.description))}</summary>${renderContent(response.content)}</details>`,
      );
    }
  }
  parts.push('</section>');
  return parts.join('\n');
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
nav{position:fixed;top:0;bottom:0;width:290px;overflow:auto;background:#f4f6f8;padding:16px;box-sizing:border-box;font-size:13px}
nav a{display:block;color:#1b1f24;text-decoration:none;padding:2px 0}
main{margin-left:290px;padding:16px 32px;max-width:980px}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}
code{font-size:13px}
.m{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 4px}
.get{background:#1f6feb}.post{background:#1a7f37}.patch{background:#9a6700}.put{background:#8250df}.delete{background:#cf222e}
.op{border-top:1px solid #d0d7de;padding-top:8px;margin-top:16px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
.media{font-size:12px;color:#57606a}
`;

/** Renders the whole reference page for an OpenAPI document. */
export function renderDocsPage(doc: Json): string {
  const info = isObject(doc.info) ? doc.info : {};
  const paths = isObject(doc.paths) ? doc.paths : {};
  const tags = Array.isArray(doc.tags) ? doc.tags.filter(isObject) : [];
  const byTag = new Map<string, string[]>();
  const nav = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const tag = Array.isArray(op.tags) && typeof op.tags[0] === 'string' ? op.tags[0] : 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(path, method, op)]);
      nav.set(tag, [
        ...(nav.get(tag) ?? []),
        `<a href="#${anchor(`${method}-${path}`)}"><span class="m ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a>`,
      ]);
    }
  }
  const order = [
    ...tags.map((t) => str(t.name)),
    ...[...byTag.keys()].filter((k) => !tags.some((t) => t.name === k)),
  ];
  const components =
    isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const sections = order
    .filter((t) => byTag.has(t))
    .map((t) => {
      const description = str(tags.find((x) => x.name === t)?.description);
      return `<h2 id="tag-${anchor(t)}">${escapeHtml(t)}</h2><p>${escapeHtml(description)}</p>${(byTag.get(t) ?? []).join('\n')}`;
    });
  const schemaSections = Object.entries(components).map(
    ([name, schema]) =>
      `<section class="op" id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${renderSchema(schema)}</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(str(info.title))} reference</title><style>${STYLE}</style></head>
<body><nav><b>${escapeHtml(str(info.title))}</b><p><a href="api/openapi.json">openapi.json</a></p>
${order
  .filter((t) => nav.has(t))
  .map((t) => `<p><b>${escapeHtml(t)}</b></p>${(nav.get(t) ?? []).join('')}`)
  .join('\n')}
<p><b>Schemas</b></p>${Object.keys(components)
    .map((n) => `<a href="#schema-${escapeHtml(n)}">${escapeHtml(n)}</a>`)
    .join('')}</nav>
<main><h1>${escapeHtml(str(info.title))} <small>${escapeHtml(str(info.version))}</small></h1>
<p>${escapeHtml(str(info.description))}</p>
${sections.join('\n')}
<h2 id="schemas">Schemas</h2>
${schemaSections.join('\n')}
</main></body></html>`;
}
