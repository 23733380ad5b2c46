import { useCallback, useState, type FormEvent } from 'react';
import { del, errorText, fieldError, get, markerOf, post, put, qs, resourcePath, type Collection, type Resource } from '../api';
import { useLive } from '../live';
import { usePasswordRule } from '../password';
import { useSession, userLabel, type User } from '../session';
import { Button, Confirm, Empty, ErrorNote, Field, Loading, PageTitle, Pager, SearchField, StateBadge, Tabs, Time, useAction, useAsync } from '../ui';
import { Bindings } from './bindings';
import { PrincipalPicker, type Principal } from './pickers';
import { RolesView, type GlobalRole } from './roles';

interface GlobalRoleBinding extends Resource {
  globalRoleId: string;
  userId?: string;
  groupPrincipalId?: string;
}

const PAGE = 100;

/**
 * Users and roles, for administrators: users, the roles themselves, global role bindings, cluster and
 * project members. Whoever may only list roles sees the roles.
 */
export function UsersPage({ tab }: { tab?: string }) {
  const session = useSession();
  const admin = session.isAdmin;
  const tabs = [
    { id: 'users', label: 'Users', to: '/users', show: admin },
    { id: 'roles', label: 'Roles', to: '/users/roles', show: admin || session.canListRoles },
    { id: 'global-roles', label: 'Global role bindings', to: '/users/global-roles', show: admin },
    { id: 'cluster-members', label: 'Cluster members', to: '/users/cluster-members', show: admin },
    { id: 'project-members', label: 'Project members', to: '/users/project-members', show: admin },
  ].filter((t) => t.show);
  const current = tab ?? tabs[0]?.id ?? 'users';
  // The tabs shown are the sections the caller may open.
  const shown = tabs.some((t) => t.id === current) ? current : undefined;
  return (
    <main className="page" id="main">
      <PageTitle>{admin ? 'Users & roles' : 'Roles'}</PageTitle>
      {tabs.length > 1 && <Tabs label="Users and roles sections" current={current} tabs={tabs} />}
      {!shown && <p className="note">This section is for administrators.</p>}
      {shown === 'users' && <Users />}
      {shown === 'roles' && <RolesView />}
      {shown === 'global-roles' && <GlobalRoleBindings />}
      {shown === 'cluster-members' && <Bindings scope="cluster" />}
      {shown === 'project-members' && <Bindings scope="project" />}
    </main>
  );
}

function useGlobalRoles() {
  return useAsync(() => get<Collection<GlobalRole>>(`/v3/globalroles${qs({ limit: -1, sort: 'name' })}`).then((c) => c.data), []);
}

function Users() {
  const session = useSession();
  const [filter, setFilter] = useState('');
  const [marker, setMarker] = useState('');
  const roles = useGlobalRoles();
  const list = useAsync(async () => {
    const page = await get<Collection<User>>(`/v3/users${qs({ limit: PAGE, marker, sort: 'username', username_like: filter.trim() })}`);
    const ids = page.data.map((u) => u.id);
    const grbs = ids.length ? await get<Collection<GlobalRoleBinding>>(`/v3/globalrolebindings${qs({ userId_in: ids, limit: -1 })}`).catch(() => ({ data: [] as GlobalRoleBinding[] })) : { data: [] };
    return { page, grbs: grbs.data };
  }, [marker, filter]);
  useLive(['user'], list.reload, list.reload);
  const [removing, setRemoving] = useState<User>();
  const [settingPassword, setSettingPassword] = useState<User>();
  const [done, setDone] = useState('');
  const [rowError, setRowError] = useState<{ id: string; error: unknown }>();
  const roleName = (id: string) => roles.data?.find((r) => r.id === id)?.name ?? id;

  const toggle = async (u: User) => {
    setRowError(undefined);
    try {
      await put(resourcePath('users', u.id), { enabled: u.enabled === false });
      list.reload();
    } catch (error) {
      setRowError({ id: u.id, error });
    }
  };

  return (
    <section aria-label="Users">
      {session.can('user', 'POST') && <CreateUser roles={roles.data ?? []} onCreated={list.reload} />}
      <div className="toolbar" role="search">
        <SearchField
          label="Filter by username"
          value={filter}
          onChange={(v) => {
            setMarker('');
            setFilter(v);
          }}
        />
      </div>
      <ErrorNote error={list.error} action={<Button onClick={list.reload}>Try again</Button>} />
      {done && (
        <p className="ok-note" role="status">
          {done}
        </p>
      )}
      {!list.data && list.loading && <Loading what="users" />}
      {list.data?.page.data.length === 0 && <Empty>No users match.</Empty>}
      {list.data && list.data.page.data.length > 0 && (
        <div className="table-wrap">
          <table className="table users" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col" className="hide-narrow">
                  State
                </th>
                <th scope="col" className="hide-narrow">
                  Global roles
                </th>
                <th scope="col" className="hide-narrow">
                  Created
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.page.data.map((u) => {
                const state = <StateBadge state={u.enabled === false ? 'disabled' : u.state} />;
                const held = (list.data?.grbs ?? [])
                  .filter((b) => b.userId === u.id)
                  .map((b) => (
                    <span key={b.id} className="role">
                      {roleName(b.globalRoleId)}
                    </span>
                  ));
                return (
                  <tr key={u.id}>
                    <td>
                      <strong>{userLabel(u)}</strong>
                      {u.me === true && <span className="sub"> (you)</span>}
                      <div className="sub">{u.id}</div>
                      {/* On a phone, state and roles fold under the name so the row fits the screen. */}
                      <div className="show-narrow">
                        {state} {held}
                      </div>
                      {rowError?.id === u.id && <ErrorNote error={rowError.error} />}
                    </td>
                    <td className="hide-narrow">{state}</td>
                    <td className="hide-narrow">{held}</td>
                    <td className="hide-narrow">
                      <Time iso={u.created} />
                    </td>
                    <td className="row-actions">
                      {u.links?.update && !u.me && (
                        <Button variant="link" onClick={() => void toggle(u)}>
                          {u.enabled === false ? 'Enable' : 'Disable'}
                        </Button>
                      )}
                      {u.actions?.setpassword && !u.me && (
                        <Button
                          variant="link"
                          onClick={() => {
                            setDone('');
                            setSettingPassword(u);
                          }}
                          aria-label={`Set the password of ${u.username}`}
                        >
                          Set password
                        </Button>
                      )}
                      {u.links?.remove && !u.me && (
                        <Button variant="link" onClick={() => setRemoving(u)} aria-label={`Delete user ${u.username}`}>
                          Delete
                        </Button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {list.data && <Pager page={list.data.page} marker={marker} setMarker={setMarker} label="Pages of users" unit="users" />}
      {removing && (
        <Confirm title={`Delete user ${removing.username}?`} confirmLabel="Delete" danger onClose={() => setRemoving(undefined)} onConfirm={() => del(resourcePath('users', removing.id)).then(list.reload)}>
          <p>They can no longer log in; their API keys stop working and their role bindings are removed.</p>
        </Confirm>
      )}
      {settingPassword && (
        <SetPassword
          user={settingPassword}
          onClose={() => setSettingPassword(undefined)}
          onDone={() => {
            setDone(`The password of ${userLabel(settingPassword)} is set.`);
            list.reload();
          }}
        />
      )}
    </section>
  );
}

/**
 * An administrator sets another user's password (`setpassword`, offered in the user's actions only to whoever
 * may): at least `password-min-length` characters, as on the first start. Their sessions and API keys end.
 */
function SetPassword({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mustChange, setMustChange] = useState(false);
  const rule = usePasswordRule(password, confirm);
  const set = async () => {
    await post(`${resourcePath('users', user.id)}?action=setpassword`, { newPassword: password });
    if (mustChange) await put(resourcePath('users', user.id), { mustChangePassword: true });
    onDone();
  };
  return (
    <Confirm title={`Set the password of ${userLabel(user)}?`} confirmLabel="Set password" danger errorInBody disabled={!password || !confirm || rule.invalid} onClose={onClose} onConfirm={set}>
      {(error) => (
        <>
          <p>They log in with the new password from now on; their other sessions and API keys stop working at once.</p>
          <div className="form">
            <Field
              label="New password"
              hint={`At least ${rule.minLength} characters${rule.checking ? ' (checking the server’s rule…)' : ''}.`}
              error={rule.tooShort ?? (error !== undefined ? errorText(error) : undefined)}
            >
              {(p) => <input {...p} name="newPassword" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
            </Field>
            <Field label="Confirm the new password" error={rule.mismatch}>
              {(p) => <input {...p} name="confirmPassword" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
            </Field>
            <label className="check">
              <input type="checkbox" checked={mustChange} onChange={(e) => setMustChange(e.target.checked)} /> Ask them for a new password at their next login
            </label>
          </div>
        </>
      )}
    </Confirm>
  );
}

function CreateUser({ roles, onCreated }: { roles: GlobalRole[]; onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [mustChange, setMustChange] = useState(true);
  const [role, setRole] = useState('user');
  const [done, setDone] = useState('');
  const create = useAction(async () => {
    setDone('');
    const u = await post<User>('/v3/users', { username, name, password, mustChangePassword: mustChange, enabled: true });
    const isDefault = roles.find((r) => r.id === role)?.newUserDefault;
    if (!isDefault) await post('/v3/globalrolebindings', { globalRoleId: role, userId: u.id });
    setDone(`User ${username} created.`);
    setUsername('');
    setName('');
    setPassword('');
    onCreated();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const err = create.error;
  return (
    <details className="card options">
      <summary>Add a user</summary>
      <form className="form wide" onSubmit={submit} noValidate>
        <div className="grid2">
          <Field label="Username" error={fieldError(err, 'username')}>
            {(p) => <input {...p} name="username" autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value.trim())} />}
          </Field>
          <Field label="Display name" error={fieldError(err, 'name')}>
            {(p) => <input {...p} name="displayName" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Password" error={fieldError(err, 'password')}>
            {(p) => <input {...p} name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
          <Field label="Global role" error={fieldError(err, 'globalRoleId')}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value)}>
                {roles.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
                {roles.length === 0 && <option value="user">Standard User</option>}
              </select>
            )}
          </Field>
        </div>
        <label className="check">
          <input type="checkbox" checked={mustChange} onChange={(e) => setMustChange(e.target.checked)} /> Must change the password at first login
        </label>
        {err !== undefined && !fieldError(err, 'username', 'name', 'password', 'globalRoleId') && <ErrorNote error={err} />}
        {done && (
          <p className="ok-note" role="status">
            {done}
          </p>
        )}
        <Button type="submit" variant="primary" busy={create.busy} disabled={!username || !password}>
          {create.busy ? 'Creating…' : 'Create user'}
        </Button>
      </form>
    </details>
  );
}

function GlobalRoleBindings() {
  const roles = useGlobalRoles();
  const [marker, setMarker] = useState('');
  const list = useAsync(async () => {
    const page = await get<Collection<GlobalRoleBinding>>(`/v3/globalrolebindings${qs({ limit: PAGE, marker, sort: 'globalRoleId' })}`);
    const ids = [...new Set(page.data.map((b) => b.userId).filter((x): x is string => Boolean(x)))];
    const users = ids.length ? await get<Collection<User>>(`/v3/users${qs({ id_in: ids, limit: -1 })}`).then((c) => c.data) : [];
    return { page, users: new Map(users.map((u) => [u.id, userLabel(u)])) };
  }, [marker]);
  useLive(['globalRoleBinding'], list.reload, list.reload);
  const [principal, setPrincipal] = useState<Principal>();
  const [role, setRole] = useState('admin');
  const [removing, setRemoving] = useState<GlobalRoleBinding>();
  const [formKey, setFormKey] = useState(0);
  const pick = useCallback((p: Principal | undefined) => setPrincipal(p), []);
  const add = useAction(async () => {
    if (!principal) throw new Error('Pick a person from the suggestions.');
    await post('/v3/globalrolebindings', { globalRoleId: role, userId: principal.id.replace(/^local:\/\//, '') });
    setFormKey((k) => k + 1);
    list.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void add.run();
  };
  const roleName = (id: string) => roles.data?.find((r) => r.id === id)?.name ?? id;
  return (
    <section aria-label="Global role bindings">
      <p className="hint">Global roles apply everywhere: Admin can do anything; Standard User can log in and create clusters.</p>
      <form className="card form inline-form" onSubmit={submit} key={formKey} aria-label="Grant a global role">
        <Field label="Person" error={fieldError(add.error, 'userId')}>
          {(p) => <PrincipalPicker field={p} onPick={pick} />}
        </Field>
        <Field label="Global role" error={fieldError(add.error, 'globalRoleId')}>
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value)}>
              {(roles.data ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" variant="primary" busy={add.busy}>
          {add.busy ? 'Granting…' : 'Grant role'}
        </Button>
        {add.error !== undefined && !fieldError(add.error, 'userId', 'globalRoleId') && <ErrorNote error={add.error} />}
      </form>
      <ErrorNote error={list.error ?? roles.error} action={<Button onClick={list.reload}>Try again</Button>} />
      {!list.data && list.loading && <Loading what="global role bindings" />}
      {list.data && list.data.page.data.length === 0 && <Empty>No global role bindings.</Empty>}
      {list.data && list.data.page.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Who</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.page.data.map((b) => {
                const who = (b.userId && list.data?.users.get(b.userId)) || b.userId || b.groupPrincipalId || '?';
                return (
                  <tr key={b.id}>
                    <td>{roleName(b.globalRoleId)}</td>
                    <td>{who}</td>
                    <td>
                      <Time iso={b.created} />
                    </td>
                    <td className="row-actions">
                      {b.links?.remove && (
                        <Button variant="link" onClick={() => setRemoving(b)} aria-label={`Remove ${roleName(b.globalRoleId)} from ${who}`}>
                          Remove
                        </Button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {list.data && (marker || list.data.page.pagination?.next) && (
        <nav className="pager" aria-label="Pages of global role bindings">
          <Button disabled={!marker} onClick={() => setMarker('')}>
            First page
          </Button>
          <Button disabled={!list.data.page.pagination?.next} onClick={() => setMarker(markerOf(list.data?.page.pagination?.next) ?? '')}>
            Next
          </Button>
        </nav>
      )}
      {removing && (
        <Confirm title="Remove this global role?" confirmLabel="Remove" danger onClose={() => setRemoving(undefined)} onConfirm={() => del(resourcePath('globalrolebindings', removing.id)).then(list.reload)}>
          <p>The person loses {roleName(removing.globalRoleId)} at once.</p>
        </Confirm>
      )}
    </section>
  );
}
