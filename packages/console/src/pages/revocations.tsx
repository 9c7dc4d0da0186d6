/** Revocations: revoke a token by `jti`, cut off a client, see the deny-list. */
import { useEffect, useState } from 'preact/hooks';
import { api, listAll } from '../api.ts';
import { ConfirmDialog, describeFailure, Notice, PageTitle } from '../components/ui.tsx';
import type { Client, ResourceServer } from '../types.ts';

/** The revocations page. */
export function RevocationsPage() {
  const [entries, setEntries] = useState<Array<{ aud: string; jti: string }> | undefined>(undefined);
  const [apis, setApis] = useState<ResourceServer[]>([]);
  const [clients, setClients] = useState<Client[]>([]);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [cutoff, setCutoff] = useState<{ clientId: string; audience: string } | undefined>(undefined);
  const load = () =>
    api<Array<{ aud: string; jti: string }>>('GET', 'blacklists/tokens').then(setEntries, (err) =>
      setMessage({ kind: 'error', text: describeFailure(err) }),
    );
  useEffect(() => {
    void load();
    listAll<ResourceServer>('resource-servers').then(setApis, () => []);
    listAll<Client>('clients').then(setClients, () => []);
  }, []);

  return (
    <>
      <PageTitle>Revocations</PageTitle>
      {message !== undefined && <Notice kind={message.kind}>{message.text}</Notice>}
      <div class="split">
        <form
          class="card"
          aria-labelledby="revoke-jti"
          onSubmit={async (e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const data = new FormData(form);
            try {
              await api('POST', 'blacklists/tokens', {
                aud: String(data.get('aud')),
                jti: String(data.get('jti')).trim(),
              });
              form.reset();
              setMessage({ kind: 'ok', text: 'Token revoked.' });
              await load();
            } catch (err) {
              setMessage({ kind: 'error', text: describeFailure(err) });
            }
          }}
        >
          <h2 id="revoke-jti">Revoke one token</h2>
          <label>
            API (audience)
            <select name="aud" required>
              {apis.map((a) => (
                <option key={a.id} value={a.identifier}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Token ID (jti)
            <input name="jti" required spellcheck={false} maxLength={256} />
          </label>
          <button type="submit" class="primary">
            Revoke token
          </button>
        </form>
        <form
          class="card"
          aria-labelledby="cut-off"
          onSubmit={(e) => {
            e.preventDefault();
            const data = new FormData(e.currentTarget);
            setCutoff({ clientId: String(data.get('client')), audience: String(data.get('audience')) });
          }}
        >
          <h2 id="cut-off">Cut off a client</h2>
          <p>Every token the client holds stops working; tokens it gets afterwards work.</p>
          <label>
            Client
            <select name="client" required>
              {clients.map((c) => (
                <option key={c.client_id} value={c.client_id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            At
            <select name="audience">
              <option value="">every API</option>
              {apis.map((a) => (
                <option key={a.id} value={a.identifier}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="danger">
            Cut off tokens
          </button>
        </form>
      </div>
      <section aria-labelledby="deny-list">
        <h2 id="deny-list">Deny-list</h2>
        {entries === undefined ? (
          <p>Loading…</p>
        ) : entries.length === 0 ? (
          <p>No token is on the deny-list.</p>
        ) : (
          <div class="scroll">
            <table>
              <caption class="sr-only">Revoked tokens not yet expired</caption>
              <thead>
                <tr>
                  <th scope="col">Token ID (jti)</th>
                  <th scope="col">API (audience)</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={`${e.aud} ${e.jti}`}>
                    <td>
                      <code>{e.jti}</code>
                    </td>
                    <td>
                      <code>{e.aud}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {cutoff !== undefined && (
        <ConfirmDialog
          title="Cut off this client's tokens?"
          confirmLabel="Cut off"
          danger
          onCancel={() => setCutoff(undefined)}
          onConfirm={async () => {
            const target = cutoff;
            setCutoff(undefined);
            try {
              await api(
                'POST',
                `clients/${encodeURIComponent(target.clientId)}/revoke-tokens`,
                target.audience === '' ? {} : { audience: target.audience },
              );
              setMessage({ kind: 'ok', text: 'Client cut off: its earlier tokens no longer work.' });
            } catch (err) {
              setMessage({ kind: 'error', text: describeFailure(err) });
            }
          }}
        >
          <p>
            Every token {clients.find((c) => c.client_id === cutoff.clientId)?.name ?? cutoff.clientId} holds
            {cutoff.audience === '' ? ' for any API' : ` for ${cutoff.audience}`} stops working now.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
