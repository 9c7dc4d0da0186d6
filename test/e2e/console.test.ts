/**
 * The admin console at /admin, driven in Debian's Chromium (playwright-core) against a real server:
 * sign-in (wrong secret, expired session), clients, APIs with the route preview, the permissions
 * matrix, signing keys, revocations, the audit log, CSRF, and no secret left in the page, the URL
 * or storage. Keeps screenshots of the main pages in docs/console/ for the README.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requestFederatedToken } from '@gatehouse/client/federated-assertion';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { startWorkloadIssuer } from '@gatehouse/server/testing/workload-issuer';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SHOTS = resolve(import.meta.dirname, '../../docs/console');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let server: TestServer;
let profile: string;
let context: BrowserContext;
let page: Page;
const cspViolations: string[] = [];
const pageErrors: string[] = [];
/** Every secret the console showed, to look for in the server's log. */
const shownSecrets: string[] = [];

async function openBrowser(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: ARGS,
    headless: true,
    viewport: { width: 1280, height: 860 },
  });
}

async function signIn(p: Page, s: TestServer, secret = s.admin.clientSecret) {
  await p.goto(`${s.url}/admin/`);
  await p.getByLabel('Client ID').fill(s.admin.clientId);
  await p.getByLabel('Client secret').fill(secret);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

/** Opens a console page with a fresh document (a hash change alone would keep an open dialog). */
async function visit(hash: string) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/admin/#/${hash}`);
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

beforeAll(async () => {
  server = await startTestServer();
  profile = await mkdtemp(join(tmpdir(), 'gatehouse-chromium-'));
  context = await openBrowser(profile);
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text()))
      cspViolations.push(msg.text());
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 90_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile !== undefined) await rm(profile, { recursive: true, force: true });
});

describe('admin console in a real browser', () => {
  it('refuses a wrong secret with a clear message, then signs in with the admin credential', async () => {
    await signIn(page, server, 'wrong-secret-wrong-secret-wrong-secret');
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('Wrong client id or client secret');
    await expect.poll(() => page.getByLabel('Client secret').inputValue()).toBe('');
    // With the keyboard only: type, Tab to the secret, Enter to submit.
    await page.getByLabel('Client ID').fill('');
    await page.getByLabel('Client ID').focus();
    await page.keyboard.type(server.admin.clientId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(server.admin.clientSecret);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const cookies = await context.cookies(server.url);
    const session = cookies.find((c) => c.name === 'gatehouse_console');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
  });

  it('creates a client and shows its secret once, with a copy button and a warning, then never again', async () => {
    await visit(`clients`);
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await page.getByRole('form', { name: 'Create a client' }).getByLabel('Name').fill('Billing service');
    await page.getByRole('button', { name: 'Create client' }).click();
    const secretField = page.getByTestId('client-secret');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(43);
    shownSecrets.push(secret);
    expect(await page.getByText('shown only this once').count()).toBe(1);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    // The secret is masked in the kept picture (a throwaway server's, but a secret all the same).
    await page.screenshot({ path: join(SHOTS, 'client-secret-once.png'), mask: [secretField] });

    const clients = await json<Array<{ client_id: string; name: string }>>(
      await server.management('GET', 'clients'),
    );
    const billing = clients.find((c) => c.name === 'Billing service');
    expect(billing).toBeDefined();
    await page.getByRole('button', { name: 'I have stored the secret' }).click();
    expect(await page.content()).not.toContain(secret);
    expect(page.url()).not.toContain(secret);
    const storage = String(
      await page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })'),
    );
    expect(storage).not.toContain(secret);
    expect(storage).toBe('{}{}');
  });

  it('edits, rotates with a grace period, registers a public key, disables and deletes a client', async () => {
    const created = await json<{ client_id: string; client_secret: string }>(
      await server.management('POST', 'clients', { name: 'Reports job' }),
    );
    await visit(`clients/${created.client_id}`);
    const edit = page.getByRole('form', { name: 'Edit client' });
    await edit.getByLabel('Description').fill('Nightly reports');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Client Reports job saved.').waitFor();
    const after = await json<{ description: string }>(
      await server.management('GET', `clients/${created.client_id}`),
    );
    expect(after.description).toBe('Nightly reports');

    await page.getByLabel('Grace period for the previous secret').selectOption('3600');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = await page.getByTestId('client-secret').inputValue();
    expect(rotated).not.toBe(created.client_secret);
    shownSecrets.push(rotated);
    await page.getByText(/previous secret keeps working until/).waitFor();
    const { audience } = await server.createApiAndClient();
    await server.management('POST', 'client-grants', {
      client_id: created.client_id,
      audience,
      scope: ['read:things'],
    });
    await server.getToken({ clientId: created.client_id, clientSecret: rotated, audience });
    await server.getToken({ clientId: created.client_id, clientSecret: created.client_secret, audience });
    await page.getByRole('button', { name: 'I have stored the secret' }).click();

    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyForm = page.getByRole('form', { name: 'Register a public key' });
    await keyForm.getByLabel('Key name').fill('ci signer');
    await keyForm.getByLabel('Algorithm').selectOption('ES256');
    await keyForm
      .getByLabel('Public key (PEM)')
      .fill(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    await keyForm.getByRole('button', { name: 'Register key' }).click();
    await page.getByText('Public key registered.').waitFor();
    const creds = await json<Array<{ name: string }>>(
      await server.management('GET', `clients/${created.client_id}/credentials`),
    );
    expect(creds.map((c) => c.name)).toEqual(['ci signer']);

    await page.getByRole('button', { name: 'Disable client' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Client Reports job disabled.').waitFor();
    expect(
      (await json<{ disabled: boolean }>(await server.management('GET', `clients/${created.client_id}`)))
        .disabled,
    ).toBe(true);

    await page.getByRole('button', { name: 'Delete client' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete client' }).click();
    await page.getByText('Client Reports job deleted.').waitFor();
    expect((await server.management('GET', `clients/${created.client_id}`)).status).toBe(404);
  });

  it('adds a federated credential that a workload then signs in with, lists it, and removes it', async () => {
    const k8s = await startWorkloadIssuer();
    try {
      const { clientId, audience } = await server.createApiAndClient({ scopes: ['read:things'] });
      await visit(`clients/${clientId}`);
      const form = page.getByRole('form', { name: 'Add a federated credential' });
      await form.getByLabel(/^Issuer/).fill(k8s.issuer);
      await form.getByLabel(/^Subject/).fill('system:serviceaccount:payments:*');
      await form.getByLabel(/^Audience/).fill('https://gatehouse.console.test/');
      await form.getByLabel(/^Credential name/).fill('payments pods');
      await form.getByRole('button', { name: 'Add federated credential' }).click();
      await page.getByText('Federated credential added.').waitFor();
      const row = page.getByRole('table', { name: 'Federated credentials' }).getByRole('row', {
        name: /payments pods/,
      });
      await expect.poll(() => row.textContent()).toContain('system:serviceaccount:payments:*');
      expect(await row.textContent()).toContain('kubernetes');
      expect(await form.getByLabel(/^Subject/).inputValue()).toBe('');
      const [stored] = await json<Array<Record<string, unknown>>>(
        await server.management('GET', `clients/${clientId}/credentials`),
      );
      expect(stored).toMatchObject({
        credential_type: 'federated',
        name: 'payments pods',
        issuer: k8s.issuer,
        subject: 'system:serviceaccount:payments:*',
        audience: 'https://gatehouse.console.test/',
        issuer_kind: 'kubernetes',
      });
      // The audit log keeps the change, with what was added.
      const logs = await json<Array<{ details?: { after?: Record<string, unknown> } }>>(
        await server.management(
          'GET',
          `logs?action=client_credential.created&target_id=${String(stored?.id)}`,
        ),
      );
      expect(logs[0]?.details?.after).toMatchObject({
        client_id: clientId,
        subject: 'system:serviceaccount:payments:*',
      });

      // A pod of that namespace now gets a token with its service-account token alone.
      const t = Math.floor(Date.now() / 1000);
      const podToken = await k8s.mint({
        aud: ['https://gatehouse.console.test/'],
        exp: t + 600,
        iat: t,
        nbf: t,
        iss: k8s.issuer,
        'kubernetes.io': {
          namespace: 'payments',
          pod: { name: 'reader-7c9d-x1', uid: '5b7e0f5c-4a4f-4e55-9a57-1d7a3f1c2e01' },
          serviceaccount: { name: 'reader', uid: '0d2a3c4b-7e8f-4a1b-9c2d-3e4f5a6b7c8d' },
        },
        sub: 'system:serviceaccount:payments:reader',
      });
      const granted = await requestFederatedToken({
        tokenEndpoint: `${server.url}/oauth/token`,
        assertion: async () => podToken,
        audience,
      });
      expect(granted.access_token.split('.')).toHaveLength(3);

      await row.getByRole('button', { name: /Remove/ }).click();
      await page.getByText('Federated credential payments pods removed.').waitFor();
      expect(await page.getByText('No federated credential.').count()).toBe(1);
      expect(
        await json<unknown[]>(await server.management('GET', `clients/${clientId}/credentials`)),
      ).toEqual([]);
    } finally {
      await k8s.stop();
    }
  });

  it("shows the server's refusal of a federated credential whose subject is a bare *", async () => {
    const { clientId } = await server.createApiAndClient();
    await visit(`clients/${clientId}`);
    const form = page.getByRole('form', { name: 'Add a federated credential' });
    await form.getByLabel(/^Issuer/).fill('https://token.actions.githubusercontent.com');
    await form.getByLabel(/^Subject/).fill('*');
    await form.getByLabel(/^Audience/).fill('https://gatehouse.console.test/');
    await form.getByRole('button', { name: 'Add federated credential' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('subject: a `*` must follow a fixed prefix');
    expect(await page.getByText('No federated credential.').count()).toBe(1);
    // What was typed stays, to be corrected.
    expect(await form.getByLabel(/^Subject/).inputValue()).toBe('*');
    expect(await json<unknown[]>(await server.management('GET', `clients/${clientId}/credentials`))).toEqual(
      [],
    );
  });

  it('creates an API, edits scopes and routes, and previews which clients can call which route', async () => {
    await visit(`apis`);
    const form = page.getByRole('form', { name: 'Create an API' });
    await form.getByLabel('Name').fill('Contacts');
    await form.getByLabel(/Identifier/).fill('https://contacts.example.test/');
    await form.getByLabel(/Scopes/).fill('read:contacts write:contacts');
    await form.getByLabel('Signing algorithm').selectOption('ES256');
    await form.getByRole('button', { name: 'Create API' }).click();
    await page.getByText('API Contacts created.').waitFor();
    const apis = await json<Array<{ id: string; identifier: string; signing_alg: string }>>(
      await server.management('GET', 'resource-servers'),
    );
    const contacts = apis.find((a) => a.identifier === 'https://contacts.example.test/');
    expect(contacts?.signing_alg).toBe('ES256');
    const reader = await json<{ client_id: string }>(
      await server.management('POST', 'clients', { name: 'Contacts reader' }),
    );
    await server.management('POST', 'client-grants', {
      client_id: reader.client_id,
      audience: 'https://contacts.example.test/',
      scope: ['read:contacts'],
    });

    await visit(`apis/${contacts?.id}`);
    await page.getByLabel('Description of scope 1').fill('Read contacts');
    await page.getByRole('button', { name: 'Add route' }).click();
    await page.getByLabel('Path of route 1').fill('/contacts/{id}');
    await page.getByLabel('Scopes of route 1').fill('read:contacts');
    await page.getByRole('button', { name: 'Add route' }).click();
    await page.getByLabel('Method of route 2').fill('POST');
    await page.getByLabel('Path of route 2').fill('/contacts');
    await page.getByLabel('Scopes of route 2').fill('write:contacts');
    const preview = page.getByTestId('route-preview');
    await expect.poll(() => preview.getByRole('row').nth(1).textContent()).toContain('Contacts reader');
    await expect.poll(() => preview.getByRole('row').nth(2).textContent()).toContain('nobody');
    await page.getByLabel('Token lifetime (seconds)').fill('900');
    await page.getByRole('button', { name: 'Save API' }).click();
    await page.getByText('API Contacts saved.').waitFor();
    await page.screenshot({ path: join(SHOTS, 'apis.png'), fullPage: true });
    const saved = await json<{ token_lifetime: number; routes: unknown; scopes: unknown }>(
      await server.management('GET', `resource-servers/${contacts?.id}`),
    );
    expect(saved.token_lifetime).toBe(900);
    expect(saved.routes).toEqual([
      { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
      { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
    ]);
    expect(saved.scopes).toContainEqual({ value: 'read:contacts', description: 'Read contacts' });

    await page.getByLabel('Path of route 1').fill('not a path');
    await page.getByRole('button', { name: 'Save API' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('routes');
  });

  it('saves permission changes after a confirmation naming the tokens they cut off', async () => {
    const { clientId, clientSecret, audience, apiId } = await server.createApiAndClient({
      clientName: 'Matrix client',
      scopes: ['read:things', 'write:things'],
      grantScopes: ['read:things', 'write:things'],
    });
    const before = await server.getToken({ clientId, clientSecret, audience });
    const apiName = (
      await json<{ name: string }>(await server.management('GET', `resource-servers/${apiId}`))
    ).name;
    await visit(`permissions`);
    const box = page.getByRole('checkbox', {
      name: `Matrix client: write:things at ${apiName}`,
      exact: true,
    });
    await box.uncheck();
    await page.getByRole('button', { name: 'Save 1 change' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('loses write:things');
    expect(await dialog.textContent()).toContain(`Cuts off every token Matrix client holds for ${audience}`);
    await page.screenshot({ path: join(SHOTS, 'permissions.png') });
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved 1 change.').waitFor();
    const grants = await json<Array<{ scope: string[] }>>(
      await server.management('GET', `client-grants?client_id=${clientId}`),
    );
    expect(grants[0]?.scope).toEqual(['read:things']);
    const introspect = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: before }),
    });
    expect((await json<{ active: boolean }>(introspect)).active).toBe(false);

    await box.check();
    await page.getByRole('button', { name: 'Save 1 change' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent()).toContain('No token is cut off');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('button', { name: 'Discard changes' }).click();
  });

  it('refuses to delete an API that has grants until the administrator confirms deleting them too', async () => {
    const { apiId } = await server.createApiAndClient();
    await visit(`apis/${apiId}`);
    await page.getByRole('button', { name: 'Delete API' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete API' }).click();
    const force = page.getByRole('dialog');
    await expect.poll(() => force.textContent()).toContain('still has 1 client grant');
    const confirm = force.getByRole('button', { name: 'Delete the API and its grants' });
    expect(await confirm.isDisabled()).toBe(true);
    expect((await server.management('GET', `resource-servers/${apiId}`)).status).toBe(200);
    const name = (await json<{ name: string }>(await server.management('GET', `resource-servers/${apiId}`)))
      .name;
    await force.getByLabel(/Type/).fill(name);
    await confirm.click();
    await page.getByText(/API .* deleted\./).waitFor();
    expect((await server.management('GET', `resource-servers/${apiId}`)).status).toBe(404);
  });

  it('rotates signing keys and revokes one only after typing its kid', async () => {
    await visit(`keys`);
    await page.getByRole('heading', { name: 'Signing keys', level: 1 }).waitFor();
    const before = await json<Array<{ kid: string; current: boolean }>>(
      await server.management('GET', 'keys/signing'),
    );
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await page.getByText('Signing key rotated.').waitFor();
    const after = await json<Array<{ kid: string; current: boolean; previous: boolean; alg: string }>>(
      await server.management('GET', 'keys/signing'),
    );
    const retired = after.find((k) => k.previous && before.some((b) => b.kid === k.kid && b.current));
    expect(retired).toBeDefined();
    await page.screenshot({ path: join(SHOTS, 'signing-keys.png'), fullPage: true });
    await page.getByRole('button', { name: `Revoke ${retired?.kid}` }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('Every token this key signed stops working');
    expect(await dialog.getByRole('button', { name: 'Revoke key' }).isDisabled()).toBe(true);
    await dialog.getByLabel(/Type/).fill(retired?.kid ?? '');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    const revoked = await json<{ revoked: boolean }>(
      await server.management('GET', `keys/signing/${retired?.kid}`),
    );
    expect(revoked.revoked).toBe(true);
    // The console's own session token was signed by that key: it is cut off too.
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signIn(page, server);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });

  it('revokes a token by jti, cuts off a client, and lists the deny-list', async () => {
    const { clientId, clientSecret, audience } = await server.createApiAndClient({
      clientName: 'Cut-off client',
    });
    const token = await server.getToken({ clientId, clientSecret, audience });
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
    await visit(`revocations`);
    const form = page.getByRole('form', { name: 'Revoke one token' });
    await form.getByLabel('API (audience)').selectOption(audience);
    await form.getByLabel('Token ID (jti)').fill(jti);
    await form.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('Token revoked.').waitFor();
    await page.getByRole('cell', { name: jti }).waitFor();

    const cut = page.getByRole('form', { name: 'Cut off a client' });
    await cut.getByLabel('Client').selectOption(clientId);
    await cut.getByRole('button', { name: 'Cut off tokens' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cut off' }).click();
    await page.getByText('Client cut off').waitFor();
    await page.screenshot({ path: join(SHOTS, 'revocations.png'), fullPage: true });
  });

  it('shows the audit log with the console sign-in and the changes made, filterable', async () => {
    await visit(`audit`);
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await expect.poll(() => page.locator('tbody').textContent()).toContain('client.created');
    await page.getByLabel('Type').selectOption('s');
    await page.getByRole('button', { name: 'Filter' }).click();
    // The unfiltered table also holds 'console': wait for the filtered one to replace it.
    await expect.poll(() => page.locator('tbody').textContent()).not.toContain('client.created');
    expect(await page.locator('tbody').textContent()).toContain('console');
    await page.getByLabel('Type').selectOption('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tbody').textContent()).toContain('client.created');
    await page.screenshot({ path: join(SHOTS, 'audit-log.png') });
    const html = await page.content();
    expect(html).not.toContain(server.admin.clientSecret);
  });

  it('shows the overview with tokens per client and a client that does not cache, and reads well on a phone', async () => {
    const chatty = await server.createApiAndClient({ clientName: 'Chatty job', tokenLifetime: 3600 });
    for (let i = 0; i < 12; i++) await server.getToken(chatty);
    await visit(`overview`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByText('Tokens issued per client, last 24 hours').waitFor();
    await page.getByRole('img', { name: 'Tokens issued per client per hour' }).waitFor();
    const notCaching = page.getByRole('table', { name: 'Clients that do not cache tokens' });
    await expect.poll(() => notCaching.textContent()).toContain('Chatty job');
    expect(await notCaching.textContent()).toContain('12');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    await visit(`clients`);
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'clients.png'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await visit(`permissions`);
    // The page's heading takes focus once it has loaded: wait for it before focusing the menu.
    await page.getByRole('heading', { name: 'Permissions', level: 1 }).waitFor();
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.focus();
    await page.keyboard.press('Enter');
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('link', { name: 'Signing keys' }).click();
    await page.getByRole('heading', { name: 'Signing keys', level: 1 }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'phone-keys.png') });
    const widest = String(
      await page.evaluate(
        "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll')).map((e) => e.tagName + '.' + e.className).slice(0, 5).join(' ')",
      ),
    );
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow, widest).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('refuses a Management API call from the page that lacks the CSRF token', async () => {
    const answer: { status: number; body: { errorCode?: string } } = await page.evaluate(async () => {
      const res = await fetch('/api/v2/clients', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'forged' }),
      });
      return { status: res.status, body: (await res.json()) as { errorCode?: string } };
    });
    expect(answer.status).toBe(403);
    expect(answer.body.errorCode).toBe('csrf_token_missing');
    const clients = await json<Array<{ name: string }>>(await server.management('GET', 'clients'));
    expect(clients.some((c) => c.name === 'forged')).toBe(false);
  });

  it('signs out, after which the kept cookie no longer reaches the Management API', async () => {
    const cookie = (await context.cookies(server.url)).find((c) => c.name === 'gatehouse_console');
    await visit(`overview`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    const res = await fetch(`${server.url}/admin/session`, {
      headers: { cookie: `${cookie?.name}=${cookie?.value}` },
    });
    expect(res.status).toBe(401);
  });

  it('ran every page without a CSP violation or a script error, and logged no secret', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    const logs = server.logs.join('\n');
    expect(logs).not.toContain(server.admin.clientSecret);
    for (const secret of shownSecrets) expect(logs).not.toContain(secret);
  });

  it('sends the administrator back to sign-in when the session has expired', async () => {
    const short = await startTestServer({ env: { GATEHOUSE_CONSOLE_IDLE_SECONDS: '2' } });
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-chromium-'));
    const ctx = await openBrowser(dir);
    try {
      const p = await ctx.newPage();
      await signIn(p, short);
      await p.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      await new Promise((r) => setTimeout(r, 3_000));
      await p.getByRole('navigation').getByRole('link', { name: 'Clients' }).click();
      await p.getByRole('button', { name: 'Sign in' }).waitFor();
      await expect.poll(() => p.getByRole('status').first().textContent()).toContain('expired');
    } finally {
      await ctx.close();
      await short.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
