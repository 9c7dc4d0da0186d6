/** Sign-in with a Management API client's id and secret (the bootstrap admin credential works). */
import { useState } from 'preact/hooks';
import { type SessionInfo, signIn } from '../api.ts';
import { describeFailure, Notice } from '../components/ui.tsx';

/** The sign-in form. The secret stays in the form field only until it is sent. */
export function SignInPage(props: { ended: string | undefined; onSignedIn: (s: SessionInfo) => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <main class="sign-in" id="main">
      <h1>gatehouse console</h1>
      <p>Sign in with a Management API client: its client ID and client secret.</p>
      {props.ended !== undefined && <Notice kind="ok">{props.ended}</Notice>}
      {error !== undefined && <Notice kind="error">{error}</Notice>}
      <form
        aria-label="Sign in"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          setBusy(true);
          setError(undefined);
          try {
            const session = await signIn(String(data.get('client_id')), String(data.get('client_secret')));
            form.reset();
            props.onSignedIn(session);
          } catch (err) {
            (form.elements.namedItem('client_secret') as HTMLInputElement).value = '';
            setError(describeFailure(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>
          Client ID
          <input name="client_id" required autoComplete="username" spellcheck={false} />
        </label>
        <label>
          Client secret
          <input name="client_secret" type="password" required autoComplete="current-password" />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
