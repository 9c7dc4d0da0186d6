/** Signing keys: current, next and retired keys with dates; rotate; revoke with a strong warning. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ConfirmDialog, describeFailure, Notice, PageTitle, when } from '../components/ui.tsx';
import type { SigningKey } from '../types.ts';

function status(k: SigningKey): string {
  if (k.revoked) return 'revoked';
  if (k.current) return 'current';
  if (k.next) return 'next';
  return 'retired';
}

/** The signing keys page. */
export function KeysPage() {
  const [keys, setKeys] = useState<SigningKey[] | undefined>(undefined);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [confirm, setConfirm] = useState<
    { kind: 'rotate' } | { kind: 'revoke'; key: SigningKey } | undefined
  >(undefined);
  const load = () =>
    api<SigningKey[]>('GET', 'keys/signing').then(setKeys, (err) =>
      setMessage({ kind: 'error', text: describeFailure(err) }),
    );
  useEffect(() => {
    void load();
  }, []);
  const act = async (work: () => Promise<unknown>, text: string) => {
    setConfirm(undefined);
    try {
      await work();
      setMessage({ kind: 'ok', text });
    } catch (err) {
      setMessage({ kind: 'error', text: describeFailure(err) });
    }
    await load();
  };

  return (
    <>
      <PageTitle>Signing keys</PageTitle>
      {message !== undefined && <Notice kind={message.kind}>{message.text}</Notice>}
      <p>
        The next key is published in the JWKS before it signs, so verifiers already know it at rotation; a key
        published less than 10 minutes before its rotation signs only from then on. Retired keys stay
        published until the tokens they signed have expired.
      </p>
      <button type="button" class="primary" onClick={() => setConfirm({ kind: 'rotate' })}>
        Rotate signing key
      </button>
      {keys === undefined ? (
        <p>Loading…</p>
      ) : (
        <div class="scroll">
          <table>
            <caption class="sr-only">Signing keys</caption>
            <thead>
              <tr>
                <th scope="col">Key ID</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Status</th>
                <th scope="col">Signs from</th>
                <th scope="col">Signs until</th>
                <th scope="col">Revoked</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.kid}>
                  <td>
                    <code>{k.kid}</code>
                  </td>
                  <td>{k.alg}</td>
                  <td>
                    <span class={`tag tag-${status(k)}`}>{status(k)}</span>
                  </td>
                  <td>{when(k.current_since)}</td>
                  <td>{when(k.current_until)}</td>
                  <td>{when(k.revoked_at)}</td>
                  <td>
                    {!k.revoked && (
                      <button
                        type="button"
                        class="danger"
                        onClick={() => setConfirm({ kind: 'revoke', key: k })}
                      >
                        Revoke <span class="sr-only">{k.kid}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirm?.kind === 'rotate' && (
        <ConfirmDialog
          title="Rotate the signing key?"
          confirmLabel="Rotate"
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => void act(() => api('POST', 'keys/signing/rotate'), 'Signing key rotated.')}
        >
          <p>
            The next key starts signing and a new next key is published: now, or once the next key has been
            published for 10 minutes, so every verifier holds it (the table shows when). Tokens signed by the
            current key stay valid until they expire.
          </p>
        </ConfirmDialog>
      )}
      {confirm?.kind === 'revoke' && (
        <ConfirmDialog
          title={`Revoke key ${confirm.key.kid}?`}
          confirmLabel="Revoke key"
          danger
          typeToConfirm={confirm.key.kid}
          onCancel={() => setConfirm(undefined)}
          onConfirm={() =>
            void act(
              () => api('PUT', `keys/signing/${encodeURIComponent(confirm.key.kid)}/revoke`),
              `Key ${confirm.key.kid} revoked.`,
            )
          }
        >
          <p class="warning">
            Emergency only. Every token this key signed stops working at once, everywhere: every client using
            one must get a new token, and calls fail until it does.
            {confirm.key.current && ' This is the current key: signing moves to a new key.'} This cannot be
            undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
