/** Small HTTP helpers for tests of the OAuth endpoints: form posts with client authentication. */

/** An HTTP Basic `Authorization` value for a client id and secret (form-url-encoded, RFC 6749 2.3.1). */
export function createBasicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

/** An answer, with its body parsed as JSON when it has one. */
export interface FormAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** POSTs `params` form-encoded to `url`, with HTTP Basic when `basic` is given. */
export async function postForm(
  url: string,
  params: Record<string, string>,
  basic?: { clientId: string; clientSecret: string },
): Promise<FormAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic !== undefined)
    headers.authorization = createBasicAuthorization(basic.clientId, basic.clientSecret);
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
