/**
 * A client's federated credentials (workload identity federation, docs/federation.md): list, add
 * (issuer, subject or prefix pattern, audience, optional JWKS URI and name) and remove, through
 * `/api/v2/clients/{id}/credentials`. The server validates; its refusal is shown as it says it.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
import { api } from '../api.ts';
import type { Credential } from '../types.ts';

/** The federated credentials card of a client's detail view. */
export function FederatedCredentials(props: {
  /** The client id, already URL-encoded. */
  clientPath: string;
  credentials: Credential[];
  /** Runs a change, then reports `done` (or the server's refusal). */
  run: (work: () => Promise<unknown>, done: string) => Promise<void>;
  reload: () => Promise<unknown>;
}) {
  const { clientPath, credentials, run, reload } = props;
  const federated = credentials.filter((c) => c.credential_type === 'federated');
  return (
    <section class="card" aria-labelledby="federated-title">
      <h3 id="federated-title">Federated credentials (secretless workloads)</h3>
      <p>
        The client is signed in by a platform token (Kubernetes, SPIFFE, AWS, GitHub Actions, any OIDC issuer)
        whose issuer, subject and audience match.
      </p>
      {federated.length === 0 ? (
        <p>No federated credential.</p>
      ) : (
        <table>
          <caption class="sr-only">Federated credentials</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Issuer</th>
              <th scope="col">Subject</th>
              <th scope="col">Audience</th>
              <th scope="col">Kind</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {federated.map((f) => (
              <tr key={f.id}>
                <td>{f.name}</td>
                <td>
                  <code>{f.issuer}</code>
                  {f.jwks_uri !== undefined && (
                    <>
                      {' '}
                      (keys <code>{f.jwks_uri}</code>)
                    </>
                  )}
                </td>
                <td>
                  <code>{f.subject}</code>
                </td>
                <td>
                  <code>{f.audience}</code>
                </td>
                <td>{f.issuer_kind}</td>
                <td>
                  <button
                    type="button"
                    onClick={() =>
                      void run(
                        () =>
                          api('DELETE', `clients/${clientPath}/credentials/${encodeURIComponent(f.id)}`).then(
                            reload,
                          ),
                        `Federated credential ${f.name} removed.`,
                      )
                    }
                  >
                    Remove <span class="sr-only">{f.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        aria-label="Add a federated credential"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const text = (field: string) => String(data.get(field) ?? '').trim();
          const body: Record<string, string> = {
            credential_type: 'federated',
            issuer: text('issuer'),
            subject: text('subject'),
            audience: text('audience'),
          };
          if (text('jwks_uri') !== '') body.jwks_uri = text('jwks_uri');
          if (text('name') !== '') body.name = text('name');
          void run(
            () =>
              api('POST', `clients/${clientPath}/credentials`, body).then(() => {
                form.reset();
                return reload();
              }),
            'Federated credential added.',
          );
        }}
      >
        <label>
          Issuer (or its discovery URL)
          <input
            name="issuer"
            type="url"
            required
            maxLength={2048}
            placeholder="https://oidc.eks.eu-west-1.amazonaws.com/id/…"
          />
        </label>
        <label>
          Subject (exact, or a prefix ending in :* or /*)
          <input
            name="subject"
            required
            maxLength={512}
            spellcheck={false}
            placeholder="system:serviceaccount:payments:reader"
          />
        </label>
        <label>
          Audience the workload requests
          <input name="audience" required maxLength={512} spellcheck={false} />
        </label>
        <label>
          JWKS URI (optional, when the issuer has no discovery document)
          <input name="jwks_uri" type="url" maxLength={2048} />
        </label>
        <label>
          Credential name (optional)
          <input name="name" maxLength={128} />
        </label>
        <button type="submit">Add federated credential</button>
      </form>
    </section>
  );
}
