/**
 * Permissions as a matrix: clients × each API's scopes. Changes are saved together, after a
 * confirmation that names the tokens they cut off: removing any scope of a grant (or the whole
 * grant) invalidates every token the client holds for that API, issued before the change.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, listAll } from '../api.ts';
import { ConfirmDialog, describeFailure, Notice, PageTitle } from '../components/ui.tsx';
import type { Client, ClientGrant, ResourceServer } from '../types.ts';

type Key = string; // `${clientId}\n${audience}`
const keyOf = (clientId: string, audience: string): Key => `${clientId}\n${audience}`;

interface Change {
  client: Client;
  api: ResourceServer;
  grant: ClientGrant | undefined;
  added: string[];
  removed: string[];
  next: string[];
}

/** The permissions page. */
export function PermissionsPage() {
  const [apis, setApis] = useState<ResourceServer[]>([]);
  const [clients, setClients] = useState<Client[]>([]);
  const [grants, setGrants] = useState<Map<Key, ClientGrant>>(new Map());
  const [draft, setDraft] = useState<Map<Key, Set<string>>>(new Map());
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [loaded, setLoaded] = useState(false);

  const load = async () => {
    const [a, c, g] = await Promise.all([
      listAll<ResourceServer>('resource-servers'),
      listAll<Client>('clients'),
      listAll<ClientGrant>('client-grants'),
    ]);
    setApis([...a.filter((x) => !x.is_system), ...a.filter((x) => x.is_system)]);
    setClients(c);
    const byKey = new Map(g.map((x) => [keyOf(x.client_id, x.audience), x]));
    setGrants(byKey);
    setDraft(new Map([...byKey].map(([k, x]) => [k, new Set(x.scope)])));
    setLoaded(true);
  };
  useEffect(() => {
    load().catch((err) => setMessage({ kind: 'error', text: describeFailure(err) }));
  }, []);

  const changes: Change[] = [];
  for (const rs of apis) {
    for (const client of clients) {
      const k = keyOf(client.client_id, rs.identifier);
      const before = grants.get(k)?.scope ?? [];
      const after = [...(draft.get(k) ?? new Set<string>())];
      const added = after.filter((s) => !before.includes(s));
      const removed = before.filter((s) => !after.includes(s));
      if (added.length > 0 || removed.length > 0) {
        changes.push({
          client,
          api: rs,
          grant: grants.get(k),
          added,
          removed,
          next: rs.scopes.map((s) => s.value).filter((s) => after.includes(s)),
        });
      }
    }
  }

  const toggle = (clientId: string, audience: string, scope: string, on: boolean) => {
    const next = new Map(draft);
    const set = new Set(next.get(keyOf(clientId, audience)) ?? []);
    if (on) set.add(scope);
    else set.delete(scope);
    next.set(keyOf(clientId, audience), set);
    setDraft(next);
  };

  const apply = async () => {
    setConfirming(false);
    try {
      for (const ch of changes) {
        if (ch.grant === undefined) {
          await api('POST', 'client-grants', {
            client_id: ch.client.client_id,
            audience: ch.api.identifier,
            scope: ch.next,
          });
        } else if (ch.next.length === 0) {
          await api('DELETE', `client-grants/${encodeURIComponent(ch.grant.id)}`);
        } else {
          await api('PATCH', `client-grants/${encodeURIComponent(ch.grant.id)}`, { scope: ch.next });
        }
      }
      setMessage({ kind: 'ok', text: `Saved ${changes.length} change${changes.length === 1 ? '' : 's'}.` });
    } catch (err) {
      setMessage({ kind: 'error', text: describeFailure(err) });
    }
    await load().catch(() => undefined);
  };

  return (
    <>
      <PageTitle>Permissions</PageTitle>
      <p>Tick what each client may ask for at each API. Nothing changes until you save.</p>
      {message !== undefined && <Notice kind={message.kind}>{message.text}</Notice>}
      {!loaded && <p>Loading…</p>}
      {apis.map((rs) => {
        const table = <MatrixTable rs={rs} clients={clients} draft={draft} toggle={toggle} />;
        return rs.is_system ? (
          <details key={rs.id} class="matrix">
            <summary>{rs.name}: who may administer gatehouse</summary>
            {table}
          </details>
        ) : (
          <section key={rs.id} class="matrix" aria-labelledby={`m-${rs.id}`}>
            <h2 id={`m-${rs.id}`}>
              {rs.name} <code>{rs.identifier}</code>
            </h2>
            {table}
          </section>
        );
      })}
      <div class="sticky-actions">
        <button
          type="button"
          class="primary"
          disabled={changes.length === 0}
          onClick={() => setConfirming(true)}
        >
          Save {changes.length} change{changes.length === 1 ? '' : 's'}
        </button>
        <button
          type="button"
          disabled={changes.length === 0}
          onClick={() => setDraft(new Map([...grants].map(([k, x]) => [k, new Set(x.scope)])))}
        >
          Discard changes
        </button>
      </div>
      {confirming && (
        <ConfirmDialog
          title="Save these permission changes?"
          confirmLabel="Save changes"
          danger={changes.some((c) => c.removed.length > 0)}
          onCancel={() => setConfirming(false)}
          onConfirm={() => void apply()}
        >
          <ul class="changes">
            {changes.map((ch) => (
              <li key={`${ch.client.client_id}${ch.api.id}`}>
                <strong>{ch.client.name}</strong> at <strong>{ch.api.name}</strong>
                {ch.added.length > 0 && <> gains {ch.added.join(', ')}</>}
                {ch.added.length > 0 && ch.removed.length > 0 && ';'}
                {ch.removed.length > 0 && <> loses {ch.removed.join(', ')}</>}.{' '}
                {ch.removed.length > 0 ? (
                  <span class="cutoff">
                    Cuts off every token {ch.client.name} holds for {ch.api.identifier} (issued before now, up
                    to {ch.grant?.token_lifetime ?? ch.api.token_lifetime} s old): it must get a new one.
                  </span>
                ) : (
                  <span>No token is cut off.</span>
                )}
              </li>
            ))}
          </ul>
        </ConfirmDialog>
      )}
    </>
  );
}

/** One API's table: a row per client, a tick box per scope. */
function MatrixTable(props: {
  rs: ResourceServer;
  clients: Client[];
  draft: Map<Key, Set<string>>;
  toggle: (clientId: string, audience: string, scope: string, on: boolean) => void;
}) {
  const { rs, clients, draft, toggle } = props;
  return (
    <>
      {rs.scopes.length === 0 ? (
        <p>This API defines no scope.</p>
      ) : (
        <div class="scroll">
          <table>
            <caption class="sr-only">Scopes of {rs.name} granted to each client</caption>
            <thead>
              <tr>
                <th scope="col">Client</th>
                {rs.scopes.map((s) => (
                  <th scope="col" key={s.value} title={s.description}>
                    <code>{s.value}</code>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {clients.map((c) => {
                const set = draft.get(keyOf(c.client_id, rs.identifier));
                return (
                  <tr key={c.client_id}>
                    <th scope="row">{c.name}</th>
                    {rs.scopes.map((s) => (
                      <td key={s.value}>
                        <input
                          type="checkbox"
                          aria-label={`${c.name}: ${s.value} at ${rs.name}`}
                          checked={set?.has(s.value) ?? false}
                          onChange={(e) =>
                            toggle(c.client_id, rs.identifier, s.value, e.currentTarget.checked)
                          }
                        />
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
