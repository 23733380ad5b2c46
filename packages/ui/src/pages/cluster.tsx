import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, del, fieldError, get, newer, post, qs, resourcePath, type Collection, type Resource } from '../api';
import { awaitsClusterAgent, clusterKind, lastSeen, nodeName, nodeRoles, type Cluster, type Node } from '../kinds';
import { useLive, type LiveEvent } from '../live';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { Button, CodeBox, Confirm, Empty, ErrorNote, Field, LiveBadge, Loading, PageTitle, StateBadge, Tabs, Time, useAction, useAsync } from '../ui';
import { Bindings } from './bindings';
import { ImportCluster } from './import';
import { AddNodes } from './register';

interface Project extends Resource {
  name: string;
  clusterId: string;
  description?: string;
}

/** A cluster: its state, its nodes (live), the registration or import command, its members and projects. */
export function ClusterPage({ id, tab }: { id: string; tab: string }) {
  const [cluster, setCluster] = useState<Cluster>();
  const [nodes, setNodes] = useState<Map<string, Node>>();
  const [error, setError] = useState<unknown>();
  const [gone, setGone] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [kubeconfig, setKubeconfig] = useState(false);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const [c, n] = await Promise.all([get<Cluster>(resourcePath('clusters', id)), get<Collection<Node>>(`/v3/nodes${qs({ clusterId: id, limit: -1, sort: 'nodeName' })}`)]);
      if (mine !== seq.current) return;
      setCluster(c);
      setNodes(new Map(n.data.map((x) => [x.id, x])));
      setError(undefined);
    } catch (err) {
      if (mine !== seq.current) return;
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) setGone(true);
      setError(err);
    }
  }, [id]);
  useEffect(() => {
    setCluster(undefined);
    setNodes(undefined);
    setGone(false);
    void load();
  }, [load]);

  const onEvent = useCallback(
    (e: LiveEvent) => {
      const r = e.data;
      if (r.type === 'cluster' && r.id === id) {
        if (e.name === 'resource.remove') setGone(true);
        else setCluster((c) => (newer(r, c) ? (r as Cluster) : c));
      } else if (r.type === 'node' && (r as Node).clusterId === id) {
        setNodes((m) => {
          const next = new Map(m);
          if (e.name === 'resource.remove') next.delete(r.id);
          else if (newer(r, next.get(r.id))) next.set(r.id, r as Node);
          return next;
        });
      }
    },
    [id],
  );
  const live = useLive(['cluster', 'node'], onEvent, () => void load());

  if (gone) {
    return (
      <main className="page" id="main">
        <PageTitle>Cluster not found</PageTitle>
        <p>
          The cluster <code>{id}</code> does not exist any more, or you may not see it. <Link to="/clusters">Back to the clusters</Link>.
        </p>
      </main>
    );
  }
  if (!cluster || !nodes) {
    return (
      <main className="page" id="main">
        {error ? <ErrorNote error={error} action={<Button onClick={() => void load()}>Try again</Button>} /> : <Loading what="the cluster" />}
      </main>
    );
  }
  const list = [...nodes.values()].sort((a, b) => nodeName(a).localeCompare(nodeName(b)));
  const base = `/clusters/${encodeURIComponent(id)}`;
  const imported = cluster.driver === 'imported';
  // An imported cluster's nodes are not Paddock's: its Kubernetes API reports how many it has.
  const nodeCount = imported ? (cluster.nodeCount ?? 0) : list.length;
  return (
    <main className="page" id="main">
      <p className="crumbs">
        <Link to="/clusters">Clusters</Link> /
      </p>
      <PageTitle
        actions={
          <>
            {cluster.actions?.generateKubeconfig && <Button onClick={() => setKubeconfig(true)}>Kubeconfig file</Button>}
            {cluster.links?.remove && (
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete cluster
              </Button>
            )}
          </>
        }
      >
        {cluster.name}
      </PageTitle>
      <div className="summary">
        <StateBadge state={cluster.state} />
        <LiveBadge status={live} />
        <span>{clusterKind(cluster)}</span>
        <span>
          Created <Time iso={cluster.created} />
        </span>
        <span>
          {nodeCount} node{nodeCount === 1 ? '' : 's'}
        </span>
      </div>
      {cluster.transitioningMessage && (
        <p className={`status-message ${cluster.transitioning === 'error' ? 'bad' : ''}`} role="status">
          {cluster.transitioningMessage}
        </p>
      )}
      {cluster.description && <p>{cluster.description}</p>}
      <Tabs
        label="Cluster sections"
        current={tab}
        tabs={[
          { id: 'nodes', label: `Nodes (${list.length})`, to: base },
          ...(cluster.driver === 'rancherKubernetesEngine' ? [{ id: 'register', label: 'Add nodes', to: `${base}/register` }] : []),
          ...(imported ? [{ id: 'register', label: 'Import command', to: `${base}/register` }] : []),
          { id: 'members', label: 'Members', to: `${base}/members` },
          { id: 'projects', label: 'Projects', to: `${base}/projects` },
        ]}
      />
      {tab === 'nodes' && <NodesTable nodes={list} cluster={cluster} />}
      {tab === 'register' && (imported ? <ImportCluster cluster={cluster} /> : <AddNodes cluster={cluster} nodes={list} />)}
      {kubeconfig && <KubeconfigDialog cluster={cluster} onClose={() => setKubeconfig(false)} />}
      {tab === 'members' && <Bindings scope="cluster" scopeId={id} />}
      {tab === 'projects' && <Projects clusterId={id} />}
      {deleting && (
        <Confirm
          title={`Delete cluster ${cluster.name}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await del(resourcePath('clusters', id));
            navigate('/clusters');
          }}
        >
          {imported ? (
            <p>
              Paddock forgets the cluster <strong>{cluster.name}</strong> and its registration tokens, so its cluster agent can no longer connect. The Kubernetes cluster itself is
              not deleted. This cannot be undone.
            </p>
          ) : (
            <p>
              Paddock forgets the cluster <strong>{cluster.name}</strong> and its {list.length} node(s); their agents are told to stop. This cannot be undone.
            </p>
          )}
        </Confirm>
      )}
    </main>
  );
}

/** `generateKubeconfig`: a kubeconfig for this cluster through Paddock, to copy or download. */
function KubeconfigDialog({ cluster, onClose }: { cluster: Cluster; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const config = useAsync(() => post<{ config: string }>(`${resourcePath('clusters', cluster.id)}?action=generateKubeconfig`).then((r) => r.config), [cluster.id]);
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal();
  }, []);
  const href = useMemo(() => (config.data ? URL.createObjectURL(new Blob([config.data], { type: 'application/yaml' })) : undefined), [config.data]);
  useEffect(() => () => void (href && URL.revokeObjectURL(href)), [href]);
  return (
    <dialog ref={ref} className="dialog wide" aria-labelledby="kc-title" onCancel={onClose}>
      <h2 id="kc-title">Kubeconfig for {cluster.name}</h2>
      {config.loading && <Loading what="the kubeconfig" />}
      <ErrorNote error={config.error} />
      {config.data && (
        <>
          <p className="hint">kubectl reaches the cluster through Paddock with this file; it carries a token of yours, so keep it private.</p>
          <CodeBox text={config.data} label="Kubeconfig" />
        </>
      )}
      <div className="actions">
        {href && (
          <a className="btn btn-primary" href={href} download={`${cluster.name}.yaml`}>
            Download
          </a>
        )}
        <Button onClick={onClose} autoFocus>
          Close
        </Button>
      </div>
    </dialog>
  );
}

/** What the nodes tab says when the cluster has no node objects, by kind of cluster. */
function NoNodes({ cluster }: { cluster: Cluster }) {
  const register = `/clusters/${encodeURIComponent(cluster.id)}/register`;
  if (awaitsClusterAgent(cluster)) {
    return (
      <Empty>
        This cluster is not connected yet. <Link to={register}>Register it</Link> by running its kubectl import command in it.
      </Empty>
    );
  }
  if (cluster.driver === 'imported') {
    return (
      <Empty>
        Paddock does not manage the nodes of an imported cluster; its Kubernetes API reports {cluster.nodeCount ?? 0}. To reinstall its cluster agent, run the{' '}
        <Link to={register}>import command</Link> again.
      </Empty>
    );
  }
  if (cluster.driver === 'rancherKubernetesEngine') {
    return (
      <Empty>
        No nodes yet. <Link to={register}>Add nodes</Link> with the registration command.
      </Empty>
    );
  }
  return <Empty>No nodes.</Empty>;
}

function NodesTable({ nodes, cluster }: { nodes: Node[]; cluster: Cluster }) {
  const [removing, setRemoving] = useState<Node>();
  const [rowError, setRowError] = useState<{ id: string; error: unknown }>();
  const [busy, setBusy] = useState<string>();
  const act = async (n: Node, action: 'cordon' | 'uncordon') => {
    setBusy(n.id);
    setRowError(undefined);
    try {
      await post(`${resourcePath('nodes', n.id)}?action=${action}`);
    } catch (error) {
      setRowError({ id: n.id, error });
    } finally {
      setBusy(undefined);
    }
  };
  if (nodes.length === 0) return <NoNodes cluster={cluster} />;
  return (
    <>
      <div className="table-wrap">
        <table className="table nodes" data-testid="nodes-table">
          <caption className="sr-only">Nodes of this cluster</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="hide-narrow">Addresses</th>
              <th scope="col" className="hide-narrow">Roles</th>
              <th scope="col">State</th>
              <th scope="col" className="hide-narrow">Agent</th>
              <th scope="col" className="hide-narrow">Last seen</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id} data-node={nodeName(n)}>
                <td className="name">
                  <strong>{nodeName(n)}</strong>
                  {n.info?.os?.operatingSystem && <div className="sub">{n.info.os.operatingSystem}</div>}
                  <div className="sub show-narrow">{[n.ipAddress, ...nodeRoles(n)].filter(Boolean).join(' · ')}</div>
                </td>
                <td className="hide-narrow">
                  {n.ipAddress || '—'}
                  {n.internalIpAddress && n.internalIpAddress !== n.ipAddress && <div className="sub">internal {n.internalIpAddress}</div>}
                </td>
                <td className="hide-narrow">
                  {nodeRoles(n).map((r) => (
                    <span key={r} className="role">
                      {r}
                    </span>
                  ))}
                </td>
                <td data-testid="node-state">
                  <StateBadge state={n.state} title={n.transitioningMessage} />
                  {n.transitioningMessage && <div className="sub clip">{n.transitioningMessage}</div>}
                  {rowError?.id === n.id && <ErrorNote error={rowError.error} />}
                </td>
                <td className="hide-narrow">{n.info?.agent?.version ?? '—'}</td>
                <td className="hide-narrow">{lastSeen(n).connected ? <span className="ok-text">connected now</span> : <Time iso={lastSeen(n).at} />}</td>
                <td className="row-actions">
                  {n.actions?.cordon && (
                    <Button variant="link" busy={busy === n.id} onClick={() => void act(n, 'cordon')} aria-label={`Cordon ${nodeName(n)}`}>
                      Cordon
                    </Button>
                  )}
                  {n.actions?.uncordon && (
                    <Button variant="link" busy={busy === n.id} onClick={() => void act(n, 'uncordon')} aria-label={`Uncordon ${nodeName(n)}`}>
                      Uncordon
                    </Button>
                  )}
                  {n.links?.remove && (
                    <Button variant="link" onClick={() => setRemoving(n)} aria-label={`Delete node ${nodeName(n)}`}>
                      Delete
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {removing && (
        <Confirm title={`Delete node ${nodeName(removing)}?`} confirmLabel="Delete" danger onClose={() => setRemoving(undefined)} onConfirm={() => del(resourcePath('nodes', removing.id))}>
          <p>The node leaves the cluster and its agent is told to stop. To bring it back, run the registration command on the machine again.</p>
        </Confirm>
      )}
    </>
  );
}

function Projects({ clusterId }: { clusterId: string }) {
  const session = useSession();
  const list = useAsync(() => get<Collection<Project>>(`/v3/projects${qs({ clusterId, limit: -1, sort: 'name' })}`), [clusterId]);
  useLive(['project'], list.reload, list.reload);
  const [open, setOpen] = useState<string>();
  const [name, setName] = useState('');
  const [removing, setRemoving] = useState<Project>();
  const create = useAction(async () => {
    await post('/v3/projects', { clusterId, name });
    setName('');
    list.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  return (
    <section aria-label="Projects">
      {session.can('project', 'POST') && (
        <form className="card form inline-form" onSubmit={submit} aria-label="Create a project">
          <Field label="New project name" error={fieldError(create.error, 'name')}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
          </Field>
          <Button type="submit" variant="primary" busy={create.busy} disabled={!name.trim()}>
            {create.busy ? 'Creating…' : 'Create project'}
          </Button>
          {create.error !== undefined && !fieldError(create.error, 'name') && <ErrorNote error={create.error} />}
        </form>
      )}
      <ErrorNote error={list.error} action={<Button onClick={list.reload}>Try again</Button>} />
      {!list.data && list.loading && <Loading what="projects" />}
      {list.data?.data.length === 0 && <Empty>No projects you may see.</Empty>}
      {list.data?.data.map((p) => (
        <div key={p.id} className="card project">
          <div className="project-head">
            <h3>{p.name}</h3>
            <span className="sub">{p.description}</span>
            <div className="actions">
              <Button onClick={() => setOpen(open === p.id ? undefined : p.id)} aria-expanded={open === p.id}>
                {open === p.id ? 'Hide members' : 'Members'}
              </Button>
              {p.links?.remove && (
                <Button variant="link" onClick={() => setRemoving(p)}>
                  Delete
                </Button>
              )}
            </div>
          </div>
          {open === p.id && <Bindings scope="project" scopeId={p.id} clusterId={clusterId} />}
        </div>
      ))}
      {removing && (
        <Confirm title={`Delete project ${removing.name}?`} confirmLabel="Delete" danger onClose={() => setRemoving(undefined)} onConfirm={() => del(resourcePath('projects', removing.id)).then(list.reload)}>
          <p>Its members lose their roles in it.</p>
        </Confirm>
      )}
    </section>
  );
}
