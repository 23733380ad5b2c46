import { useState, type FormEvent } from 'react';
import { del, fieldError, get, post, qs, resourcePath, type Collection, type Resource } from '../api';
import { useLive } from '../live';
import { usePasswordRule } from '../password';
import { useSession, userLabel } from '../session';
import { Button, CodeBox, Confirm, Empty, ErrorNote, Field, Loading, PageTitle, StateBadge, Time, useAction, useAsync } from '../ui';

interface Token extends Resource {
  description?: string;
  ttl?: number;
  expiresAt?: string;
  expired?: boolean;
  current?: boolean;
  isDerived?: boolean;
  clusterId?: string | null;
  token?: string;
}

const EXPIRY: [string, number][] = [
  ['Never', 0],
  ['1 hour', 3600_000],
  ['1 day', 86_400_000],
  ['7 days', 7 * 86_400_000],
  ['30 days', 30 * 86_400_000],
  ['90 days', 90 * 86_400_000],
  ['1 year', 365 * 86_400_000],
];

export function AccountPage() {
  const session = useSession();
  return (
    <main className="page" id="main">
      <PageTitle
        actions={
          <LogoutButton />
        }
      >
        Account
      </PageTitle>
      <p>
        Logged in as <strong>{userLabel(session.me)}</strong>.
      </p>
      <ApiKeys />
      <ChangePassword />
    </main>
  );
}

function LogoutButton() {
  const session = useSession();
  const out = useAction(() => session.logout());
  return (
    <>
      <Button onClick={() => void out.run()} busy={out.busy}>
        {out.busy ? 'Logging out…' : 'Log out'}
      </Button>
      <ErrorNote error={out.error} />
    </>
  );
}

function ApiKeys() {
  const list = useAsync(() => get<Collection<Token>>(`/v3/tokens${qs({ limit: -1, sort: 'created' })}`), []);
  useLive(['token'], list.reload, list.reload);
  const [description, setDescription] = useState('');
  const [ttl, setTtl] = useState(0);
  const [created, setCreated] = useState<Token>();
  const [removing, setRemoving] = useState<Token>();
  const create = useAction(async () => {
    const t = await post<Token>('/v3/tokens', { description, ttl });
    setCreated(t);
    setDescription('');
    list.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const keys = (list.data?.data ?? []).filter((t) => t.isDerived);
  const secret = created?.token ?? '';
  const [access, secretKey] = secret.split(':');
  return (
    <section className="section" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="hint">For scripts, the CLI and Terraform: send the key as a bearer token, or as user and password (access key and secret key).</p>
      <form className="card form inline-form" onSubmit={submit} aria-label="Create an API key">
        <Field label="Description" error={fieldError(create.error, 'description')}>
          {(p) => <input {...p} name="description" value={description} onChange={(e) => setDescription(e.target.value)} placeholder="e.g. CI pipeline" />}
        </Field>
        <Field label="Expires after" hint="The server may cap this (setting auth-token-max-ttl-minutes)." error={fieldError(create.error, 'ttl')}>
          {(p) => (
            <select {...p} name="ttl" value={ttl} onChange={(e) => setTtl(Number(e.target.value))}>
              {EXPIRY.map(([label, ms]) => (
                <option key={ms} value={ms}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" variant="primary" busy={create.busy}>
          {create.busy ? 'Creating…' : 'Create API key'}
        </Button>
        {create.error !== undefined && !fieldError(create.error, 'description', 'ttl') && <ErrorNote error={create.error} />}
      </form>
      {created && (
        <div className="card secret" role="region" aria-label="New API key">
          <h3>Your new API key {created.description ? `“${created.description}”` : ''}</h3>
          <p className="warn-note">Copy it now: Paddock keeps only a hash and will never show it again.</p>
          <CodeBox text={secret} label="Bearer token" testId="new-api-key" />
          <div className="grid2">
            <CodeBox text={access ?? ''} label="Access key" />
            <CodeBox text={secretKey ?? ''} label="Secret key" />
          </div>
          <Button onClick={() => setCreated(undefined)}>I have saved it</Button>
        </div>
      )}
      <ErrorNote error={list.error} action={<Button onClick={list.reload}>Try again</Button>} />
      {!list.data && list.loading && <Loading what="API keys" />}
      {list.data && keys.length === 0 && <Empty>No API keys yet.</Empty>}
      {keys.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="api-keys">
            <thead>
              <tr>
                <th scope="col">Access key</th>
                <th scope="col">Description</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((t) => (
                <tr key={t.id} data-key={t.id}>
                  <td>
                    <code>{t.name ?? t.id}</code>
                    {t.clusterId && <div className="sub">only for cluster {t.clusterId}</div>}
                  </td>
                  <td>{t.description || '—'}</td>
                  <td>
                    <StateBadge state={t.expired ? 'expired' : t.state} />
                  </td>
                  <td>
                    <Time iso={t.created} />
                  </td>
                  <td>{t.expiresAt ? <Time iso={t.expiresAt} /> : t.ttl ? 'soon' : 'never'}</td>
                  <td className="row-actions">
                    {t.links?.remove && (
                      <Button variant="link" onClick={() => setRemoving(t)} aria-label={`Delete API key ${t.name ?? t.id}`}>
                        Delete
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing && (
        <Confirm
          title={`Delete API key ${removing.name ?? removing.id}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setRemoving(undefined)}
          onConfirm={() => del(resourcePath('tokens', removing.id)).then(list.reload)}
        >
          <p>Anything using this key stops working at once.</p>
        </Confirm>
      )}
    </section>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState(false);
  const rule = usePasswordRule(next, confirm);
  const change = useAction(async () => {
    setDone(false);
    await post('/v3/users?action=changepassword', { currentPassword: current, newPassword: next });
    setCurrent('');
    setNext('');
    setConfirm('');
    setDone(true);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!rule.invalid) void change.run();
  };
  const err = change.error;
  return (
    <section className="section" aria-labelledby="pw-title">
      <h2 id="pw-title">Change password</h2>
      <form className="card form" onSubmit={submit} noValidate>
        <Field label="Current password" error={fieldError(err, 'currentPassword')}>
          {(p) => <input {...p} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />}
        </Field>
        <Field label="New password" hint={`At least ${rule.minLength} characters.`} error={rule.tooShort ?? fieldError(err, 'newPassword')}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />}
        </Field>
        <Field label="Confirm the new password" error={rule.mismatch}>
          {(p) => <input {...p} type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
        </Field>
        {err !== undefined && !fieldError(err, 'currentPassword', 'newPassword') && <ErrorNote error={err} />}
        {done && (
          <p className="ok-note" role="status">
            Password changed.
          </p>
        )}
        <Button type="submit" variant="primary" busy={change.busy} disabled={!current || !next || !confirm || rule.invalid}>
          {change.busy ? 'Changing…' : 'Change password'}
        </Button>
      </form>
    </section>
  );
}
