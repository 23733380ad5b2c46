import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, fieldError, get, post, put, type Resource } from '../api';
import { usePasswordRule } from '../password';
import { useSession } from '../session';
import { Button, ErrorNote, Field, useAction, useAsync } from '../ui';

interface Setting extends Resource {
  value: string;
  default?: string;
}

/** The login form; on the first start it says the password is admin/admin. */
export function LoginPage({ onLoggedIn }: { onLoggedIn: (password: string) => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const firstLogin = useAsync((signal) => api<Setting>('GET', '/v3/settings/first-login', { signal, anonymous: true }), []);
  const first = firstLogin.data?.value === 'true';
  useEffect(() => {
    document.title = 'Log in · Paddock';
  }, []);
  useEffect(() => {
    if (first && username === '') setUsername('admin');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [first]);
  const login = useAction(async () => {
    await api('POST', '/v3-public/localProviders/local?action=login', { body: { username, password, responseType: 'cookie' }, anonymous: true });
    await onLoggedIn(password);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void login.run();
  };
  const err = login.error;
  const badCredentials = err instanceof ApiError && (err.status === 401 || err.status === 403);
  return (
    <main className="page narrow login" id="main">
      <div className="login-brand">
        <img src="/favicon.svg" alt="" width="40" height="40" />
        <span>Paddock</span>
      </div>
      <h1>Log in</h1>
      {first && (
        <p className="note" role="note">
          First start: log in as <strong>admin</strong> with the password <strong>admin</strong>. You will choose a new password next.
        </p>
      )}
      <form onSubmit={submit} className="card form" noValidate>
        <Field label="Username">
          {(p) => <input {...p} name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />}
        </Field>
        <Field label="Password" error={badCredentials ? 'Wrong username or password.' : fieldError(err, 'password')}>
          {(p) => <input {...p} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        {!badCredentials && <ErrorNote error={err} />}
        <Button type="submit" variant="primary" busy={login.busy} disabled={!username || !password}>
          {login.busy ? 'Logging in…' : 'Log in'}
        </Button>
      </form>
    </main>
  );
}

/**
 * The forced first step: a new password (the minimum length shown), and for administrators the URL agents
 * and people use to reach this server, pre-filled with the one in the address bar.
 */
export function SetupPage({ currentPassword, onDone }: { currentPassword: string; onDone: () => Promise<void> }) {
  const session = useSession();
  const canSetUrl = session.canEditSettings;
  const serverUrlSetting = useAsync(() => (canSetUrl ? get<Setting>('/v3/settings/server-url') : Promise.resolve(undefined)), [canSetUrl]);
  const [current, setCurrent] = useState(currentPassword);
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [serverUrl, setServerUrl] = useState<string | undefined>();
  const [passwordDone, setPasswordDone] = useState(false);
  const [stage, setStage] = useState<'password' | 'url' | ''>('');
  useEffect(() => {
    document.title = 'Welcome · Paddock';
  }, []);
  useEffect(() => {
    if (serverUrlSetting.data && serverUrl === undefined) setServerUrl(serverUrlSetting.data.value || location.origin);
  }, [serverUrlSetting.data, serverUrl]);

  const rule = usePasswordRule(next, confirm);
  const save = useAction(async () => {
    if (!passwordDone) {
      setStage('password');
      await post('/v3/users?action=changepassword', { currentPassword: current, newPassword: next });
      setPasswordDone(true);
    }
    if (canSetUrl && serverUrl !== undefined && serverUrl !== serverUrlSetting.data?.value) {
      setStage('url');
      await put('/v3/settings/server-url', { value: serverUrl.trim() });
    }
    setStage('');
    await onDone();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!passwordDone && rule.invalid) return;
    void save.run();
  };
  const err = save.error;
  const passwordError = stage === 'password' ? err : undefined;
  const urlError = stage === 'url' ? err : undefined;
  return (
    <main className="page narrow" id="main">
      <h1>Welcome to Paddock</h1>
      <p>Before you start, choose a new password{canSetUrl ? ' and confirm the address of this server' : ''}.</p>
      <form onSubmit={submit} className="card form" noValidate aria-busy={save.busy}>
        {passwordDone ? (
          <p className="ok-note" role="status">
            Your password is changed.
          </p>
        ) : (
          <fieldset>
            <legend>New password</legend>
            {(!currentPassword || fieldError(passwordError, 'currentPassword')) && (
              <Field label="Current password" error={fieldError(passwordError, 'currentPassword')}>
                {(p) => <input {...p} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />}
              </Field>
            )}
            <Field
              label="New password"
              hint={`At least ${rule.minLength} characters${rule.checking ? ' (checking the server’s rule…)' : ''}.`}
              error={rule.tooShort ?? fieldError(passwordError, 'newPassword', 'password')}
            >
              {(p) => <input {...p} name="newPassword" type="password" autoComplete="new-password" minLength={rule.minLength} value={next} onChange={(e) => setNext(e.target.value)} autoFocus />}
            </Field>
            <Field label="Confirm the new password" error={rule.mismatch}>
              {(p) => <input {...p} name="confirmPassword" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
            </Field>
            {passwordError !== undefined && !fieldError(passwordError, 'currentPassword', 'newPassword', 'password') && <ErrorNote error={passwordError} />}
          </fieldset>
        )}
        {canSetUrl && (
          <fieldset>
            <legend>Server URL</legend>
            <Field
              label="Server URL"
              hint="The https:// address that nodes and people use to reach this server; it goes into every node registration command. You can change it later in Settings."
              error={fieldError(urlError, 'value', 'server-url') ?? (urlError ? (urlError as Error).message : undefined)}
            >
              {(p) => <input {...p} name="serverUrl" type="url" inputMode="url" value={serverUrl ?? ''} onChange={(e) => setServerUrl(e.target.value)} placeholder="https://paddock.example.com" />}
            </Field>
          </fieldset>
        )}
        <Button type="submit" variant="primary" busy={save.busy} disabled={!passwordDone && (!next || !confirm || rule.invalid)}>
          {save.busy ? (stage === 'url' ? 'Saving the server URL…' : 'Changing the password…') : 'Continue'}
        </Button>
      </form>
    </main>
  );
}
