import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { del, get, markerOf, newer, qs, resourcePath, serverNow, type Collection, type Pagination } from '../api';
import { clusterKind, countRoles, type Cluster, type Node } from '../kinds';
import { useLive, type LiveEvent } from '../live';
import { matchesFilter, offPageEventMatters, seenOf, type PageView, type Seen } from '../page-window';
import { Link, setQuery, useLocation } from '../router';
import { useSession } from '../session';
import { Button, Confirm, Empty, ErrorNote, LiveBadge, Loading, PageTitle, SearchField, SelectField, Spinner, StateBadge, Time } from '../ui';

export const PAGE_SIZE = 50;
const SORTS = { name: 'Name', state: 'State', created: 'Created' } as const;
type SortKey = keyof typeof SORTS;
const STATES = ['active', 'provisioning', 'pending', 'unavailable', 'updating', 'removing'];

interface PageData {
  clusters: Cluster[];
  pagination: Pagination;
  nodes: Map<string, Node>;
}

/**
 * The clusters, a page at a time from the server (filtered and sorted there, so 1,000 clusters cost one
 * page), with their node counts per role; states and counts follow `/v3/subscribe` live.
 */
export function ClustersPage() {
  const session = useSession();
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const stateFilter = query.get('state') ?? '';
  const sort = (query.get('sort') ?? 'name') as SortKey;
  const order = query.get('order') === 'desc' ? 'desc' : 'asc';
  const marker = query.get('marker') ?? '';
  const [data, setData] = useState<PageData>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [search, setSearch] = useState(q);
  const [deleting, setDeleting] = useState<Cluster>();
  const [previous, setPrevious] = useState<string[]>([]);
  const seq = useRef(0);
  /** What the page last knew of clusters it has seen (on a page or in an event), and since when (server time). */
  const known = useRef(new Map<string, Seen>());
  const since = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    setLoading(true);
    // A cluster created after this (less some slack for the Date header's whole seconds) is new to the page.
    const started = serverNow() - 2000;
    try {
      const list = await get<Collection<Cluster>>(
        `/v3/clusters${qs({ limit: PAGE_SIZE, sort, order, name_like: q.trim(), state: stateFilter, marker })}`,
      );
      const ids = list.data.map((c) => c.id);
      // Node counts are a bonus: a caller who may not list nodes still gets the clusters.
      const nodes = ids.length === 0 ? { data: [] as Node[] } : await get<Collection<Node>>(`/v3/nodes${qs({ clusterId_in: ids, limit: -1 })}`).catch(() => ({ data: [] as Node[] }));
      if (mine !== seq.current) return;
      since.current = started;
      for (const c of list.data) known.current.set(c.id, seenOf(c));
      setData({ clusters: list.data, pagination: list.pagination ?? {}, nodes: new Map(nodes.data.map((n) => [n.id, n])) });
      setError(undefined);
    } catch (err) {
      if (mine === seq.current) setError(err);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, [q, stateFilter, sort, order, marker]);

  useEffect(() => {
    void load();
  }, [load]);

  // Reloads asked for by events are folded together: one per second at most.
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  const reloadSoon = useCallback(() => {
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      void load();
    }, 1000);
  }, [load]);
  useEffect(() => () => clearTimeout(pending.current), []);

  const view: PageView = { sort, order, q, state: stateFilter, marker, hasNext: Boolean(data?.pagination.next) };
  const current = useRef({ view, clusters: data?.clusters });
  current.current = { view, clusters: data?.clusters };

  const onEvent = useCallback(
    (e: LiveEvent) => {
      const r = e.data;
      const removed = e.name === 'resource.remove';
      const page = current.current.clusters;
      if (r.type === 'cluster' && page && !page.some((c) => c.id === r.id)) {
        // Not on the page: only a create, a delete or a change to what the sort or filter uses can bring it in
        // (or change the total); anything else would reload the page for nothing.
        const seen = known.current.get(r.id);
        if (offPageEventMatters(current.current.view, page, { removed, item: r }, seen, since.current)) reloadSoon();
        if (removed) known.current.delete(r.id);
        else if (!seen || newer(r, seen)) known.current.set(r.id, seenOf(r));
        return;
      }
      if (r.type === 'cluster' && !removed && newer(r, known.current.get(r.id))) known.current.set(r.id, seenOf(r));
      setData((d) => {
        if (!d) return d;
        if (r.type === 'node') {
          const n = r as Node;
          if (!d.clusters.some((c) => c.id === n.clusterId)) return d;
          const nodes = new Map(d.nodes);
          if (e.name === 'resource.remove') nodes.delete(n.id);
          else if (newer(n, nodes.get(n.id))) nodes.set(n.id, n);
          return { ...d, nodes };
        }
        if (r.type !== 'cluster') return d;
        const at = d.clusters.findIndex((c) => c.id === r.id);
        if (at < 0 || removed) {
          // One leaving the page: the server decides what the page now holds.
          reloadSoon();
          return d;
        }
        if (!newer(r, d.clusters[at])) return d;
        const clusters = [...d.clusters];
        clusters[at] = r as Cluster;
        // One no longer matching the filter leaves the page.
        if (!matchesFilter(current.current.view, r)) reloadSoon();
        return { ...d, clusters };
      });
    },
    [reloadSoon],
  );
  const resync = useCallback(() => {
    // Changes may have been missed while the stream was down: forget what was known of clusters off the page.
    known.current.clear();
    reloadSoon();
  }, [reloadSoon]);
  const live = useLive(['cluster', 'node'], onEvent, resync);

  // The search box filters on the server once typing pauses.
  useEffect(() => {
    if (search === q) return;
    const t = setTimeout(() => {
      setPrevious([]);
      setQuery({ q: search, marker: undefined });
    }, 250);
    return () => clearTimeout(t);
  }, [search, q]);

  // For the benchmark and for people measuring: when the first page of clusters has been painted.
  const painted = useRef(false);
  useEffect(() => {
    if (!data || painted.current) return;
    painted.current = true;
    requestAnimationFrame(() => setTimeout(() => performance.mark('paddock:clusters-painted'), 0));
  }, [data]);

  const counts = useMemo(() => countRoles(data?.nodes.values() ?? []), [data?.nodes]);
  const canCreate = session.can('cluster', 'POST');
  const total = data?.pagination.total ?? data?.clusters.length ?? 0;
  const start = previous.length * PAGE_SIZE;
  const nextMarker = markerOf(data?.pagination.next);

  const sortBy = (key: SortKey) => {
    setPrevious([]);
    setQuery({ sort: key === 'name' ? undefined : key, order: sort === key && order === 'asc' ? 'desc' : undefined, marker: undefined });
  };
  const sortHeader = (key: SortKey, className?: string) => (
    <th scope="col" className={className} aria-sort={sort === key ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" className="sort" onClick={() => sortBy(key)}>
        {SORTS[key]}
        <span aria-hidden="true">{sort === key ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );

  return (
    <main className="page" id="main">
      <PageTitle
        actions={
          canCreate && (
            <>
              <Link className="btn btn-primary" to="/clusters/new">
                Create cluster
              </Link>
              <Link className="btn btn-plain" to="/clusters/new?import=1">
                Import cluster
              </Link>
            </>
          )
        }
      >
        Clusters
      </PageTitle>
      <div className="toolbar" role="search">
        <SearchField label="Filter by name" value={search} onChange={setSearch} placeholder="Name contains…" />
        <SelectField
          label="State"
          value={stateFilter}
          onChange={(state) => {
            setPrevious([]);
            setQuery({ state, marker: undefined });
          }}
        >
          <option value="">Any</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
        <LiveBadge status={live} />
        {loading && data && <Spinner label="Updating…" />}
      </div>
      <ErrorNote error={error} action={<Button onClick={() => void load()}>Try again</Button>} />
      {!data && loading && <Loading what="clusters" />}
      {data && data.clusters.length === 0 && (
        <Empty>{q || stateFilter ? 'No cluster matches this filter.' : canCreate ? 'No clusters yet. Create one to add your first nodes.' : 'You have access to no cluster yet. Ask an administrator to add you to one.'}</Empty>
      )}
      {data && data.clusters.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="clusters-table" aria-busy={loading}>
              <caption className="sr-only">Clusters, {total} in all</caption>
              <thead>
                <tr>
                  {sortHeader('name')}
                  {sortHeader('state')}
                  <th scope="col" className="num hide-narrow">
                    etcd
                  </th>
                  <th scope="col" className="num hide-narrow">
                    Control plane
                  </th>
                  <th scope="col" className="num hide-narrow">
                    Worker
                  </th>
                  {sortHeader('created', 'hide-narrow')}
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.clusters.map((c) => {
                  const n = counts.get(c.id);
                  return (
                    <tr key={c.id} data-cluster={c.name}>
                      <td>
                        <Link to={`/clusters/${encodeURIComponent(c.id)}`} className="strong">
                          {c.name}
                        </Link>
                        <div className="sub">
                          {clusterKind(c)} · {n ? `${n.active} of ${n.total} node${n.total === 1 ? '' : 's'} active` : c.nodeCount ? `${c.nodeCount} nodes` : 'no nodes'}
                        </div>
                        {n && <div className="sub show-narrow">etcd {n.etcd} · control plane {n.controlPlane} · worker {n.worker}</div>}
                      </td>
                      <td>
                        <StateBadge state={c.state} title={c.transitioningMessage} />
                        {c.transitioningMessage && <div className="sub clip">{c.transitioningMessage}</div>}
                      </td>
                      <td className="num hide-narrow">{n?.etcd ?? 0}</td>
                      <td className="num hide-narrow">{n?.controlPlane ?? 0}</td>
                      <td className="num hide-narrow">{n?.worker ?? 0}</td>
                      <td className="hide-narrow">
                        <Time iso={c.created} />
                      </td>
                      <td className="row-actions">
                        {c.links?.remove && (
                          <Button variant="link" onClick={() => setDeleting(c)} aria-label={`Delete cluster ${c.name}`}>
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
          <nav className="pager" aria-label="Pages of clusters">
            <span>
              {start + 1}–{start + data.clusters.length} of {total}
            </span>
            <Button
              disabled={previous.length === 0 && !marker}
              onClick={() => {
                const prev = [...previous];
                const to = prev.pop();
                setPrevious(prev);
                setQuery({ marker: to });
              }}
            >
              Previous
            </Button>
            <Button
              disabled={!nextMarker}
              onClick={() => {
                setPrevious([...previous, marker]);
                setQuery({ marker: nextMarker });
              }}
            >
              Next
            </Button>
          </nav>
        </>
      )}
      {deleting && (
        <Confirm
          title={`Delete cluster ${deleting.name}?`}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await del(resourcePath('clusters', deleting.id));
            reloadSoon();
          }}
        >
          <p>
            Paddock forgets the cluster <strong>{deleting.name}</strong> and its {deleting.nodeCount ?? 0} node(s); their agents are told to stop. This cannot be undone.
          </p>
        </Confirm>
      )}
    </main>
  );
}
