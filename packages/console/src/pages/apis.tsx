/**
 * APIs (resource servers): create; edit scopes with descriptions, token lifetime, signing
 * algorithm; the live route policy with a preview of which clients can call which route.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, listAll } from '../api.ts';
import { ConfirmDialog, describeFailure, Notice, PageTitle } from '../components/ui.tsx';
import type { Client, ClientGrant, ResourceServer, RouteRule, Scope } from '../types.ts';

const ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** The APIs page; `param` selects an API by id. */
export function ApisPage({ param }: { param: string | undefined }) {
  const [apis, setApis] = useState<ResourceServer[] | undefined>(undefined);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const reload = () =>
    listAll<ResourceServer>('resource-servers').then(setApis, (err) =>
      setMessage({ kind: 'error', text: describeFailure(err) }),
    );
  useEffect(() => {
    void reload();
  }, []);
  const selected = apis?.find((a) => a.id === param);
  const ok = (text: string) => {
    setMessage({ kind: 'ok', text });
    void reload();
  };
  const fail = (text: string) => setMessage({ kind: 'error', text });

  return (
    <>
      <PageTitle>APIs</PageTitle>
      {message !== undefined && <Notice kind={message.kind}>{message.text}</Notice>}
      <div class="split">
        <section aria-labelledby="api-list">
          <h2 id="api-list">All APIs</h2>
          {apis === undefined ? (
            <p>Loading…</p>
          ) : (
            <table>
              <caption class="sr-only">APIs</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Identifier (audience)</th>
                  <th scope="col">Scopes</th>
                </tr>
              </thead>
              <tbody>
                {apis.map((a) => (
                  <tr key={a.id} class={a.id === param ? 'selected' : ''}>
                    <td>
                      <a href={`#/apis/${encodeURIComponent(a.id)}`}>{a.name}</a>
                      {a.is_system && <span class="tag">system</span>}
                    </td>
                    <td>
                      <code>{a.identifier}</code>
                    </td>
                    <td>{a.scopes.length}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <CreateApi onCreated={ok} onError={fail} />
        </section>
        {selected !== undefined && (
          <ApiDetail key={selected.id} api={selected} onChanged={ok} onError={fail} />
        )}
      </div>
    </>
  );
}

function CreateApi(props: { onCreated: (text: string) => void; onError: (text: string) => void }) {
  return (
    <form
      class="card"
      aria-labelledby="create-api"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        const scopes = String(data.get('scopes') ?? '')
          .split(/[\s,]+/)
          .filter((s) => s !== '')
          .map((value) => ({ value, description: value }));
        try {
          await api('POST', 'resource-servers', {
            identifier: String(data.get('identifier')),
            name: String(data.get('name')),
            scopes,
            signing_alg: String(data.get('alg')),
            token_lifetime: Number(data.get('lifetime')),
          });
          form.reset();
          props.onCreated(`API ${String(data.get('name'))} created.`);
        } catch (err) {
          props.onError(describeFailure(err));
        }
      }}
    >
      <h2 id="create-api">Create an API</h2>
      <label>
        Name
        <input name="name" required maxLength={200} />
      </label>
      <label>
        Identifier (the audience, e.g. https://contacts.example.com/)
        <input name="identifier" required maxLength={600} spellcheck={false} />
      </label>
      <label>
        Scopes (space-separated)
        <input name="scopes" spellcheck={false} placeholder="read:contacts write:contacts" />
      </label>
      <label>
        Token lifetime (seconds, 1 to 86400)
        <input name="lifetime" type="number" min={1} max={86400} value={3600} required />
      </label>
      <label>
        Signing algorithm
        <select name="alg">
          {ALGS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <button type="submit" class="primary">
        Create API
      </button>
    </form>
  );
}

/** Whether a grant holding `granted` may call a route needing `needed` (all of them). */
function allows(granted: readonly string[], needed: readonly string[]): boolean {
  return needed.every((s) => granted.includes(s));
}

function ApiDetail(props: {
  api: ResourceServer;
  onChanged: (t: string) => void;
  onError: (t: string) => void;
}) {
  const rs = props.api;
  const id = encodeURIComponent(rs.id);
  const [name, setName] = useState(rs.name);
  const [scopes, setScopes] = useState<Scope[]>(rs.scopes.map((s) => ({ ...s })));
  const [lifetime, setLifetime] = useState(rs.token_lifetime);
  const [alg, setAlg] = useState(rs.signing_alg);
  const [routes, setRoutes] = useState<RouteRule[]>(
    (rs.routes ?? []).map((r) => ({ ...r, scopes: [...r.scopes] })),
  );
  const [grants, setGrants] = useState<ClientGrant[]>([]);
  const [clients, setClients] = useState<Client[]>([]);
  const [confirm, setConfirm] = useState<'delete' | 'force' | undefined>(undefined);
  const [forceText, setForceText] = useState('');
  useEffect(() => {
    listAll<ClientGrant>(`client-grants?audience=${encodeURIComponent(rs.identifier)}`).then(
      setGrants,
      () => [],
    );
    listAll<Client>('clients').then(setClients, () => []);
  }, []);
  const nameOf = (clientId: string) => clients.find((c) => c.client_id === clientId)?.name ?? clientId;

  const save = async () => {
    try {
      await api('PATCH', `resource-servers/${id}`, {
        ...(rs.is_system ? {} : { name }),
        scopes: scopes
          .filter((s) => s.value.trim() !== '')
          .map((s) => ({ value: s.value.trim(), description: s.description })),
        token_lifetime: lifetime,
        signing_alg: alg,
        routes: routes.length === 0 ? null : routes,
      });
      props.onChanged(`API ${name} saved.`);
    } catch (err) {
      props.onError(describeFailure(err));
    }
  };
  const remove = async (force: boolean) => {
    try {
      await api('DELETE', `resource-servers/${id}${force ? '?force=true' : ''}`);
      window.location.hash = '#/apis';
      props.onChanged(`API ${rs.name} deleted.`);
    } catch (err) {
      if (err instanceof ApiError && err.errorCode === 'resource_server_has_grants') {
        setForceText(err.message);
        setConfirm('force');
        return;
      }
      props.onError(describeFailure(err));
    }
  };

  return (
    <section class="detail" aria-labelledby="api-detail">
      <h2 id="api-detail">{rs.name}</h2>
      <form
        class="card"
        aria-label="Edit API"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <p>
          Identifier <code>{rs.identifier}</code>
        </p>
        <label>
          Name
          <input value={name} disabled={rs.is_system} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Token lifetime (seconds)
          <input
            type="number"
            min={1}
            max={86400}
            value={lifetime}
            onInput={(e) => setLifetime(Number(e.currentTarget.value))}
          />
        </label>
        <label>
          Signing algorithm
          <select
            value={alg}
            onChange={(e) => setAlg(e.currentTarget.value as ResourceServer['signing_alg'])}
          >
            {ALGS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {scopes.map((s, i) => (
            <div class="row" key={i}>
              <label>
                Scope {i + 1}
                <input
                  value={s.value}
                  spellcheck={false}
                  onInput={(e) =>
                    setScopes(scopes.map((x, j) => (j === i ? { ...x, value: e.currentTarget.value } : x)))
                  }
                />
              </label>
              <label>
                Description of scope {i + 1}
                <input
                  value={s.description}
                  onInput={(e) =>
                    setScopes(
                      scopes.map((x, j) => (j === i ? { ...x, description: e.currentTarget.value } : x)),
                    )
                  }
                />
              </label>
              <button type="button" onClick={() => setScopes(scopes.filter((_, j) => j !== i))}>
                Remove <span class="sr-only">scope {s.value}</span>
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setScopes([...scopes, { value: '', description: '' }])}>
            Add scope
          </button>
        </fieldset>
        <fieldset>
          <legend>Route policy (method, path, scopes it needs)</legend>
          {routes.map((r, i) => (
            <div class="row" key={i}>
              <label>
                Method of route {i + 1}
                <input
                  value={r.method}
                  size={6}
                  onInput={(e) =>
                    setRoutes(routes.map((x, j) => (j === i ? { ...x, method: e.currentTarget.value } : x)))
                  }
                />
              </label>
              <label>
                Path of route {i + 1}
                <input
                  value={r.path}
                  spellcheck={false}
                  onInput={(e) =>
                    setRoutes(routes.map((x, j) => (j === i ? { ...x, path: e.currentTarget.value } : x)))
                  }
                />
              </label>
              <label>
                Scopes of route {i + 1}
                <input
                  value={r.scopes.join(' ')}
                  spellcheck={false}
                  onInput={(e) =>
                    setRoutes(
                      routes.map((x, j) =>
                        j === i
                          ? { ...x, scopes: e.currentTarget.value.split(/\s+/).filter((s) => s !== '') }
                          : x,
                      ),
                    )
                  }
                />
              </label>
              <button type="button" onClick={() => setRoutes(routes.filter((_, j) => j !== i))}>
                Remove <span class="sr-only">route {i + 1}</span>
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() => setRoutes([...routes, { method: 'GET', path: '/', scopes: [] }])}
          >
            Add route
          </button>
        </fieldset>
        <button type="submit" class="primary">
          Save API
        </button>
      </form>

      <section class="card" aria-labelledby="preview-title">
        <h3 id="preview-title">Who can call which route</h3>
        {routes.length === 0 ? (
          <p>No route policy: authorizers following this API deny every request until routes are added.</p>
        ) : (
          <table data-testid="route-preview">
            <caption class="sr-only">Clients allowed per route (unsaved edits included)</caption>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Needs</th>
                <th scope="col">Clients allowed</th>
              </tr>
            </thead>
            <tbody>
              {routes.map((r, i) => {
                const allowed = grants.filter((g) => allows(g.scope, r.scopes));
                return (
                  <tr key={i}>
                    <th scope="row">
                      <code>
                        {r.method.toUpperCase()} {r.path}
                      </code>
                    </th>
                    <td>{r.scopes.join(' ') || '(no scope)'}</td>
                    <td>
                      {allowed.length === 0 ? 'nobody' : allowed.map((g) => nameOf(g.client_id)).join(', ')}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      {!rs.is_system && (
        <div class="card actions">
          <button type="button" class="danger" onClick={() => setConfirm('delete')}>
            Delete API
          </button>
        </div>
      )}
      {confirm === 'delete' && (
        <ConfirmDialog
          title={`Delete ${rs.name}?`}
          confirmLabel="Delete API"
          danger
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => {
            setConfirm(undefined);
            void remove(false);
          }}
        >
          <p>Clients can no longer get tokens for {rs.identifier}.</p>
        </ConfirmDialog>
      )}
      {confirm === 'force' && (
        <ConfirmDialog
          title="This API still has grants"
          confirmLabel="Delete the API and its grants"
          danger
          typeToConfirm={rs.name}
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => {
            setConfirm(undefined);
            void remove(true);
          }}
        >
          <p>{forceText}</p>
          <p>
            Deleting it anyway deletes those grants, and every token those clients hold for this API stops
            working now.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
