import { Component, StrictMode, useCallback, useEffect, useState, type ErrorInfo, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, setUnauthorizedHandler } from './api';
import { AccountPage } from './pages/account';
import { ClusterPage } from './pages/cluster';
import { ClustersPage } from './pages/clusters';
import { CreateClusterPage } from './pages/cluster-create';
import { LoginPage, SetupPage } from './pages/login';
import { SettingsPage } from './pages/settings';
import { UsersPage } from './pages/users';
import { Link, navigate, useLocation, type Loc } from './router';
import { loadSession, SessionContext, useSession, userLabel, type Session } from './session';
import { Button, ErrorNote, Loading, PageTitle } from './ui';
import './styles.css';

/** Whatever throws while rendering is shown with a way out, never as a blank page. */
class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('UI error', error, info.componentStack);
  }
  override componentDidUpdate(prev: { resetKey?: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: undefined });
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main className="page" id="main">
        <h1>Something went wrong on this page</h1>
        <ErrorNote error={this.state.error} />
        <p>
          <Button onClick={() => location.reload()}>Reload the page</Button> or <a href="/clusters">go to the clusters</a>.
        </p>
      </main>
    );
  }
}

function route(loc: Loc): ReactNode {
  const p = loc.path;
  if (p === '/' || p === '/clusters') return <ClustersPage />;
  if (p === '/clusters/new') return <CreateClusterPage />;
  const cluster = /^\/clusters\/([^/]+)(?:\/(nodes|register|members|projects))?$/.exec(p);
  if (cluster) return <ClusterPage id={decodeURIComponent(cluster[1] ?? '')} tab={cluster[2] ?? 'nodes'} />;
  if (p === '/account') return <AccountPage />;
  const users = /^\/users(?:\/(roles|global-roles|cluster-members|project-members))?$/.exec(p);
  if (users) return <UsersPage tab={users[1]} />;
  if (p === '/settings') return <SettingsPage />;
  return (
    <main className="page" id="main">
      <PageTitle>Page not found</PageTitle>
      <p>
        There is nothing at <code>{p}</code>. <Link to="/clusters">Go to the clusters</Link>.
      </p>
    </main>
  );
}

function Shell({ children, path }: { children: ReactNode; path: string }) {
  const session = useSession();
  const [menu, setMenu] = useState(false);
  useEffect(() => setMenu(false), [path]);
  const items = [
    { to: '/clusters', label: 'Clusters', show: true },
    { to: '/users', label: 'Users & roles', show: session.isAdmin },
    { to: '/users/roles', label: 'Roles', show: !session.isAdmin && session.canListRoles },
    { to: '/settings', label: 'Settings', show: session.canEditSettings },
    { to: '/account', label: 'Account', show: true },
  ].filter((i) => i.show);
  const active = (to: string) => path === to || path.startsWith(`${to}/`) || (to === '/clusters' && path === '/');
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/clusters" className="brand" aria-label="Paddock home">
          <img src="/favicon.svg" alt="" width="24" height="24" /> Paddock
        </Link>
        <button type="button" className="menu-toggle" aria-expanded={menu} aria-controls="main-nav" onClick={() => setMenu(!menu)}>
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" className={menu ? 'open' : ''}>
          {items.map((i) => (
            <Link key={i.to} to={i.to} aria-current={active(i.to) ? 'page' : undefined}>
              {i.label}
            </Link>
          ))}
        </nav>
        <span className="whoami" title="Logged in as">
          {userLabel(session.me)}
        </span>
      </header>
      <ErrorBoundary resetKey={path}>{children}</ErrorBoundary>
    </>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function App() {
  const loc = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [bootError, setBootError] = useState<unknown>();
  /** The password just used to log in, so the forced change does not ask for it twice. */
  const [lastPassword, setLastPassword] = useState('');

  const loggedOut = useCallback(() => {
    setSession(null);
    navigate('/login');
  }, []);
  const load = useCallback(async () => {
    try {
      const s = await loadSession(load, loggedOut);
      setSession(s);
      setBootError(undefined);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setSession(null);
      else setBootError(err);
    }
  }, [loggedOut]);

  useEffect(() => {
    setUnauthorizedHandler(() => setSession((s) => (s === undefined ? s : null)));
    void load();
  }, [load]);

  if (bootError) {
    return (
      <main className="page narrow" id="main">
        <h1>Paddock cannot start</h1>
        <ErrorNote error={bootError} />
        <Button variant="primary" onClick={() => void load()}>
          Try again
        </Button>
      </main>
    );
  }
  if (session === undefined) return <Loading what="Paddock" />;
  if (session === null) {
    return (
      <LoginPage
        onLoggedIn={async (password) => {
          setLastPassword(password);
          await load();
          if (location.pathname === '/login' || location.pathname === '/') navigate('/clusters', { replace: true });
        }}
      />
    );
  }
  if (session.me.mustChangePassword) {
    return (
      <SessionContext.Provider value={session}>
        <SetupPage currentPassword={lastPassword} onDone={load} />
      </SessionContext.Provider>
    );
  }
  if (loc.path === '/login') return <Redirect to="/clusters" />;
  return (
    <SessionContext.Provider value={session}>
      <Shell path={loc.path}>{route(loc)}</Shell>
    </SessionContext.Provider>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <App />
      </ErrorBoundary>
    </StrictMode>,
  );
}
