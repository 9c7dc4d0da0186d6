/**
 * The console shell: the session (checked at start, ended by sign-out or by the server), the
 * navigation and a hash router (`#/clients`): the URL never carries a secret or a token.
 */
import { useEffect, useState } from 'preact/hooks';
import { currentSession, type SessionInfo, signOut, whenSignedOut } from './api.ts';
import { Notice, when } from './components/ui.tsx';
import { ApisPage } from './pages/apis.tsx';
import { AuditPage } from './pages/audit.tsx';
import { ClientsPage } from './pages/clients.tsx';
import { KeysPage } from './pages/keys.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PermissionsPage } from './pages/permissions.tsx';
import { RevocationsPage } from './pages/revocations.tsx';
import { SignInPage } from './pages/sign-in.tsx';

const PAGES = [
  { path: 'overview', label: 'Overview', view: OverviewPage },
  { path: 'apis', label: 'APIs', view: ApisPage },
  { path: 'clients', label: 'Clients', view: ClientsPage },
  { path: 'permissions', label: 'Permissions', view: PermissionsPage },
  { path: 'keys', label: 'Signing keys', view: KeysPage },
  { path: 'revocations', label: 'Revocations', view: RevocationsPage },
  { path: 'audit', label: 'Audit log', view: AuditPage },
] as const;

function readHash(): { page: string; param: string | undefined } {
  const [page, param] = window.location.hash.replace(/^#\/?/, '').split('/');
  return { page: page || 'overview', param: param === undefined ? undefined : decodeURIComponent(param) };
}

/** The whole console. */
export function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [ended, setEnded] = useState<string | undefined>(undefined);
  const [route, setRoute] = useState(readHash());
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    whenSignedOut((reason) => {
      setSession(null);
      setEnded(reason);
    });
    currentSession().then(
      (s) => setSession(s ?? null),
      () => setSession(null),
    );
    const onHash = () => {
      setRoute(readHash());
      setMenuOpen(false);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) {
    return (
      <SignInPage
        ended={ended}
        onSignedIn={(s) => {
          setEnded(undefined);
          setSession(s);
        }}
      />
    );
  }

  const page = PAGES.find((p) => p.path === route.page) ?? PAGES[0];
  const View = page.view;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">gatehouse</span>
        <button
          type="button"
          class="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <span class="who" title={`Session ends ${when(session.expires_at)}`}>
          Signed in as <code>{session.client_id}</code>
        </span>
        <button
          type="button"
          onClick={async () => {
            await signOut().catch(() => undefined);
            setEnded('You have signed out.');
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <nav id="nav" aria-label="Console sections" class={menuOpen ? 'open' : ''}>
        <ul>
          {PAGES.map((p) => (
            <li key={p.path}>
              <a href={`#/${p.path}`} aria-current={p.path === page.path ? 'page' : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main">
        {ended !== undefined && <Notice kind="error">{ended}</Notice>}
        <View key={page.path} param={route.param} />
      </main>
    </div>
  );
}
