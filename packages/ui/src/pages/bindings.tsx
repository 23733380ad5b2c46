import { useCallback, useState, type FormEvent } from 'react';
import { del, fieldError, get, post, qs, resourcePath, type Collection, type Resource } from '../api';
import type { Cluster } from '../kinds';
import { useLive } from '../live';
import { useSession, userLabel, type User } from '../session';
import { Button, Confirm, Empty, ErrorNote, Field, Loading, Pager, Time, useAction, useAsync } from '../ui';
import { ClusterPicker, PrincipalPicker, type Principal } from './pickers';

interface Binding extends Resource {
  clusterId?: string;
  projectId?: string;
  roleTemplateId: string;
  userId?: string;
  userPrincipalId?: string;
  groupPrincipalId?: string;
}

interface Project extends Resource {
  name: string;
  clusterId: string;
}

const TYPES = {
  cluster: { path: 'clusterroletemplatebindings', type: 'clusterRoleTemplateBinding', scopeField: 'clusterId' },
  project: { path: 'projectroletemplatebindings', type: 'projectRoleTemplateBinding', scopeField: 'projectId' },
} as const;

const PAGE = 100;

/** Names for the ids a page of bindings mentions: users, clusters, projects, roles. */
async function names(scope: 'cluster' | 'project', bindings: Binding[]) {
  const userIds = [...new Set(bindings.map((b) => b.userId).filter((x): x is string => Boolean(x)))];
  const clusterIds = [...new Set(bindings.map((b) => b.clusterId ?? b.projectId?.split(':')[0]).filter((x): x is string => Boolean(x)))];
  const projectIds = [...new Set(bindings.map((b) => b.projectId).filter((x): x is string => Boolean(x)))];
  const soft = <T extends Resource>(p: Promise<Collection<T>>) => p.then((c) => c.data).catch(() => [] as T[]);
  const [users, clusters, projects, roles] = await Promise.all([
    userIds.length ? soft(get<Collection<User>>(`/v3/users${qs({ id_in: userIds, limit: -1 })}`)) : [],
    clusterIds.length ? soft(get<Collection<Cluster>>(`/v3/clusters${qs({ id_in: clusterIds, limit: -1 })}`)) : [],
    projectIds.length ? soft(get<Collection<Project>>(`/v3/projects${qs({ id_in: projectIds, limit: -1 })}`)) : [],
    soft(get<Collection<Resource & { name: string; hidden?: boolean }>>(`/v3/roletemplates${qs({ context: scope, limit: -1 })}`)),
  ]);
  return {
    user: new Map(users.map((u) => [u.id, userLabel(u)])),
    cluster: new Map(clusters.map((c) => [c.id, c.name])),
    project: new Map(projects.map((p) => [p.id, p.name])),
    roles,
  };
}

/**
 * Members of clusters or projects (role template bindings): who has which role where, with add and
 * remove. `scopeId` fixes the cluster or project; without it every binding the caller may see is listed.
 */
export function Bindings({ scope, scopeId, clusterId }: { scope: 'cluster' | 'project'; scopeId?: string; clusterId?: string }) {
  const session = useSession();
  const t = TYPES[scope];
  const [marker, setMarker] = useState('');
  const [removing, setRemoving] = useState<Binding>();
  const list = useAsync(async () => {
    const page = await get<Collection<Binding>>(`/v3/${t.path}${qs({ [t.scopeField]: scopeId, limit: PAGE, marker, sort: t.scopeField })}`);
    return { page, names: await names(scope, page.data) };
  }, [scope, scopeId, marker]);
  const reload = list.reload;
  const live = useLive([t.type], reload, reload);
  void live;

  const canAdd = session.can(t.type, 'POST');
  const data = list.data;
  return (
    <section className="bindings" aria-label={`${scope === 'cluster' ? 'Cluster' : 'Project'} members`}>
      {canAdd && <AddBinding scope={scope} scopeId={scopeId} clusterId={clusterId} roles={data?.names.roles ?? []} onAdded={reload} />}
      <ErrorNote error={list.error} action={<Button onClick={reload}>Try again</Button>} />
      {!data && list.loading && <Loading what="members" />}
      {data && data.page.data.length === 0 && <Empty>No members yet.</Empty>}
      {data && data.page.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Member</th>
                {!scopeId && <th scope="col">{scope === 'cluster' ? 'Cluster' : 'Project'}</th>}
                <th scope="col">Role</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.page.data.map((b) => {
                const who = (b.userId && data.names.user.get(b.userId)) || b.userPrincipalId || b.groupPrincipalId || b.userId || '?';
                const role = data.names.roles.find((r) => r.id === b.roleTemplateId)?.name ?? b.roleTemplateId;
                const where =
                  scope === 'cluster'
                    ? (data.names.cluster.get(b.clusterId ?? '') ?? b.clusterId)
                    : `${data.names.cluster.get(b.projectId?.split(':')[0] ?? '') ?? b.projectId?.split(':')[0]} / ${data.names.project.get(b.projectId ?? '') ?? b.projectId}`;
                return (
                  <tr key={b.id}>
                    <td>{who}</td>
                    {!scopeId && <td>{where}</td>}
                    <td>{role}</td>
                    <td>
                      <Time iso={b.created} />
                    </td>
                    <td className="row-actions">
                      {b.links?.remove && (
                        <Button variant="link" onClick={() => setRemoving(b)} aria-label={`Remove ${who} as ${role}`}>
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
      {data && <Pager page={data.page} marker={marker} setMarker={setMarker} label="Pages of members" />}
      {removing && (
        <Confirm title="Remove this member?" confirmLabel="Remove" danger onClose={() => setRemoving(undefined)} onConfirm={() => del(resourcePath(t.path, removing.id)).then(reload)}>
          <p>They lose this role at once.</p>
        </Confirm>
      )}
    </section>
  );
}

function AddBinding({ scope, scopeId, clusterId, roles, onAdded }: { scope: 'cluster' | 'project'; scopeId?: string; clusterId?: string; roles: (Resource & { name: string; hidden?: boolean })[]; onAdded: () => void }) {
  const t = TYPES[scope];
  const [principal, setPrincipal] = useState<Principal>();
  const [cluster, setCluster] = useState<Cluster>();
  const [projectId, setProjectId] = useState('');
  const [role, setRole] = useState(scope === 'cluster' ? 'cluster-member' : 'project-member');
  const [formKey, setFormKey] = useState(0);
  const pickCluster = useCallback((c: Cluster | undefined) => setCluster(c), []);
  const pickPrincipal = useCallback((p: Principal | undefined) => setPrincipal(p), []);
  const projectCluster = clusterId ?? cluster?.id;
  const projects = useAsync(
    () => (scope === 'project' && !scopeId && projectCluster ? get<Collection<Project>>(`/v3/projects${qs({ clusterId: projectCluster, limit: -1 })}`).then((c) => c.data) : Promise.resolve([] as Project[])),
    [scope, scopeId, projectCluster],
  );
  const target = scopeId ?? (scope === 'cluster' ? cluster?.id : projectId);
  const add = useAction(async () => {
    if (!principal) throw new Error('Pick a person from the suggestions.');
    if (!target) throw new Error(scope === 'cluster' ? 'Pick a cluster from the suggestions.' : 'Pick a project.');
    await post(`/v3/${t.path}`, { [t.scopeField]: target, roleTemplateId: role, userPrincipalId: principal.id });
    setFormKey((k) => k + 1);
    setPrincipal(undefined);
    onAdded();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void add.run();
  };
  const err = add.error;
  return (
    <form className="card form inline-form" onSubmit={submit} key={formKey} aria-label="Add a member">
      <Field label="Person" error={fieldError(err, 'userPrincipalId', 'userId')}>
        {(p) => <PrincipalPicker field={p} onPick={pickPrincipal} />}
      </Field>
      {!scopeId && !clusterId && (
        <Field label="Cluster" error={fieldError(err, 'clusterId')}>
          {(p) => <ClusterPicker field={p} onPick={pickCluster} />}
        </Field>
      )}
      {scope === 'project' && !scopeId && (
        <Field label="Project" error={fieldError(err, 'projectId')}>
          {(p) => (
            <select {...p} value={projectId} onChange={(e) => setProjectId(e.target.value)} disabled={!projectCluster}>
              <option value="">{projectCluster ? 'Choose…' : 'Pick a cluster first'}</option>
              {(projects.data ?? []).map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <Field label="Role" error={fieldError(err, 'roleTemplateId')}>
        {(p) => (
          <select {...p} value={role} onChange={(e) => setRole(e.target.value)}>
            {roles.filter((r) => !r.hidden).map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
            {roles.length === 0 && <option value={role}>{role}</option>}
          </select>
        )}
      </Field>
      <Button type="submit" variant="primary" busy={add.busy}>
        {add.busy ? 'Adding…' : 'Add member'}
      </Button>
      {err !== undefined && !fieldError(err, 'userPrincipalId', 'userId', 'clusterId', 'projectId', 'roleTemplateId') && <ErrorNote error={err} />}
    </form>
  );
}
