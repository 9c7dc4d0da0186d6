/**
 * Clients: create (secret shown once), edit, disable, delete, rotate the secret with an optional
 * grace period, register public keys for `private_key_jwt` and federated credentials
 * (federated-credentials.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, listAll } from '../api.ts';
import { ConfirmDialog, describeFailure, Notice, PageTitle, SecretOnce } from '../components/ui.tsx';
import type { Client, ClientWithSecret, Credential } from '../types.ts';
import { FederatedCredentials } from './federated-credentials.tsx';

type Shown = { clientId: string; secret: string; note?: string };

/** The clients page; `param` selects a client. */
export function ClientsPage({ param }: { param: string | undefined }) {
  const [clients, setClients] = useState<Client[] | undefined>(undefined);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [shown, setShown] = useState<Shown | undefined>(undefined);
  const reload = () =>
    listAll<Client>('clients').then(setClients, (err) =>
      setMessage({ kind: 'error', text: describeFailure(err) }),
    );
  useEffect(() => {
    void reload();
  }, []);
  const selected = clients?.find((c) => c.client_id === param);

  return (
    <>
      <PageTitle>Clients</PageTitle>
      {message !== undefined && <Notice kind={message.kind}>{message.text}</Notice>}
      {shown !== undefined && (
        <SecretOnce
          clientId={shown.clientId}
          secret={shown.secret}
          {...(shown.note !== undefined ? { note: shown.note } : {})}
          onDone={() => setShown(undefined)}
        />
      )}
      <div class="split">
        <section aria-labelledby="client-list">
          <h2 id="client-list">All clients</h2>
          {clients === undefined ? (
            <p>Loading…</p>
          ) : (
            <table>
              <caption class="sr-only">Clients</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Client ID</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {clients.map((c) => (
                  <tr key={c.client_id} class={c.client_id === param ? 'selected' : ''}>
                    <td>
                      <a href={`#/clients/${encodeURIComponent(c.client_id)}`}>{c.name}</a>
                    </td>
                    <td>
                      <code>{c.client_id}</code>
                    </td>
                    <td>{c.disabled ? 'disabled' : 'active'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <CreateClient
            onCreated={(c) => {
              setShown({ clientId: c.client_id, secret: c.client_secret });
              setMessage({ kind: 'ok', text: `Client ${c.name} created.` });
              void reload();
            }}
            onError={(text) => setMessage({ kind: 'error', text })}
          />
        </section>
        {selected !== undefined && (
          <ClientDetail
            key={selected.client_id}
            client={selected}
            onChanged={(text) => {
              setMessage({ kind: 'ok', text });
              void reload();
            }}
            onSecret={(s) => setShown(s)}
            onError={(text) => setMessage({ kind: 'error', text })}
          />
        )}
      </div>
    </>
  );
}

function CreateClient(props: { onCreated: (c: ClientWithSecret) => void; onError: (text: string) => void }) {
  return (
    <form
      aria-labelledby="create-client"
      class="card"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        try {
          const created = await api<ClientWithSecret>('POST', 'clients', {
            name: String(data.get('name')),
            description: String(data.get('description') ?? ''),
            token_endpoint_auth_method: String(data.get('auth')),
          });
          form.reset();
          props.onCreated(created);
        } catch (err) {
          props.onError(describeFailure(err));
        }
      }}
    >
      <h2 id="create-client">Create a client</h2>
      <label>
        Name
        <input name="name" required maxLength={128} />
      </label>
      <label>
        Description
        <input name="description" maxLength={140} />
      </label>
      <label>
        Authentication
        <select name="auth">
          <option value="client_secret_basic">Client secret (HTTP Basic)</option>
          <option value="client_secret_post">Client secret (form post)</option>
          <option value="private_key_jwt">Private key JWT</option>
        </select>
      </label>
      <button type="submit" class="primary">
        Create client
      </button>
    </form>
  );
}

function ClientDetail(props: {
  client: Client;
  onChanged: (text: string) => void;
  onSecret: (s: Shown) => void;
  onError: (text: string) => void;
}) {
  const { client } = props;
  const id = encodeURIComponent(client.client_id);
  const [confirm, setConfirm] = useState<'delete' | 'disable' | undefined>(undefined);
  const [credentials, setCredentials] = useState<Credential[]>([]);
  const loadCredentials = () =>
    api<Credential[]>('GET', `clients/${id}/credentials`).then(setCredentials, () => []);
  useEffect(() => {
    void loadCredentials();
  }, []);
  const publicKeys = credentials.filter((c) => c.credential_type !== 'federated');
  const run = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      props.onChanged(done);
    } catch (err) {
      props.onError(describeFailure(err));
    }
  };

  return (
    <section aria-labelledby="client-detail" class="detail">
      <h2 id="client-detail">{client.name}</h2>
      <form
        aria-label="Edit client"
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          void run(
            () =>
              api('PATCH', `clients/${id}`, {
                name: String(data.get('name')),
                description: String(data.get('description') ?? ''),
              }),
            `Client ${String(data.get('name'))} saved.`,
          );
        }}
      >
        <label>
          Name
          <input name="name" required maxLength={128} defaultValue={client.name} />
        </label>
        <label>
          Description
          <input name="description" maxLength={140} defaultValue={client.description} />
        </label>
        <p>
          Client ID <code>{client.client_id}</code> · authentication{' '}
          <code>{client.token_endpoint_auth_method}</code>
        </p>
        <button type="submit">Save</button>
      </form>

      <form
        aria-label="Rotate secret"
        class="card"
        onSubmit={async (e) => {
          e.preventDefault();
          const grace = Number(new FormData(e.currentTarget).get('grace') ?? 0);
          try {
            const rotated = await api<ClientWithSecret>('POST', `clients/${id}/rotate-secret`, {
              grace_period_seconds: grace,
            });
            const until = rotated.previous_secret_expires_at;
            props.onSecret({
              clientId: client.client_id,
              secret: rotated.client_secret,
              note: until
                ? `The previous secret keeps working until ${new Date(until).toLocaleString()}.`
                : 'The previous secret no longer works.',
            });
            props.onChanged(`Secret of ${client.name} rotated.`);
          } catch (err) {
            props.onError(describeFailure(err));
          }
        }}
      >
        <h3>Rotate the secret</h3>
        <label>
          Grace period for the previous secret
          <select name="grace">
            <option value="0">none: it stops at once</option>
            <option value="3600">1 hour</option>
            <option value="86400">1 day</option>
            <option value="604800">7 days</option>
          </select>
        </label>
        <button type="submit">Rotate secret</button>
      </form>

      <section class="card" aria-labelledby="keys-title">
        <h3 id="keys-title">Public keys (private_key_jwt)</h3>
        {publicKeys.length === 0 ? (
          <p>No public key registered.</p>
        ) : (
          <ul>
            {publicKeys.map((k) => (
              <li key={k.id}>
                {k.name} <code>{k.alg}</code> <code>{k.kid}</code>{' '}
                <button
                  type="button"
                  onClick={() =>
                    void run(
                      () =>
                        api('DELETE', `clients/${id}/credentials/${encodeURIComponent(k.id)}`).then(
                          loadCredentials,
                        ),
                      `Key ${k.name} removed.`,
                    )
                  }
                >
                  Remove <span class="sr-only">{k.name}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <form
          aria-label="Register a public key"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const data = new FormData(form);
            void run(
              () =>
                api('POST', `clients/${id}/credentials`, {
                  credential_type: 'public_key',
                  name: String(data.get('name')),
                  pem: String(data.get('pem')),
                  alg: String(data.get('alg')),
                }).then(() => {
                  form.reset();
                  return loadCredentials();
                }),
              'Public key registered.',
            );
          }}
        >
          <label>
            Key name
            <input name="name" required maxLength={128} />
          </label>
          <label>
            Algorithm
            <select name="alg">
              <option>RS256</option>
              <option>PS256</option>
              <option>ES256</option>
              <option>EdDSA</option>
            </select>
          </label>
          <label>
            Public key (PEM)
            <textarea name="pem" required rows={5} spellcheck={false} />
          </label>
          <button type="submit">Register key</button>
        </form>
      </section>

      <FederatedCredentials clientPath={id} credentials={credentials} run={run} reload={loadCredentials} />

      <div class="card actions">
        <button type="button" onClick={() => setConfirm('disable')}>
          {client.disabled ? 'Enable client' : 'Disable client'}
        </button>
        <button type="button" class="danger" onClick={() => setConfirm('delete')}>
          Delete client
        </button>
      </div>
      {confirm === 'disable' && (
        <ConfirmDialog
          title={client.disabled ? `Enable ${client.name}?` : `Disable ${client.name}?`}
          confirmLabel={client.disabled ? 'Enable' : 'Disable'}
          danger={!client.disabled}
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => {
            setConfirm(undefined);
            void run(
              () => api('PATCH', `clients/${id}`, { disabled: !client.disabled }),
              `Client ${client.name} ${client.disabled ? 'enabled' : 'disabled'}.`,
            );
          }}
        >
          {client.disabled ? (
            <p>The client can get tokens again.</p>
          ) : (
            <p>The client gets no more tokens, and every token it holds stops working now.</p>
          )}
        </ConfirmDialog>
      )}
      {confirm === 'delete' && (
        <ConfirmDialog
          title={`Delete ${client.name}?`}
          confirmLabel="Delete client"
          danger
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => {
            setConfirm(undefined);
            void run(() => api('DELETE', `clients/${id}`), `Client ${client.name} deleted.`).then(() => {
              window.location.hash = '#/clients';
            });
          }}
        >
          <p>
            The client, its grants and its keys are deleted, and every token it holds stops working now. This
            cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
