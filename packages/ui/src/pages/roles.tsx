import { Fragment, useState, type FormEvent } from 'react';
import { ApiError, del, fieldError, get, post, qs, resourcePath, type Collection, type Resource } from '../api';
import { useLive } from '../live';
import { useSession } from '../session';
import { Button, Confirm, Empty, ErrorNote, Field, Loading, Pager, SearchField, SelectField, useAction, useAsync } from '../ui';

/** A Kubernetes PolicyRule, as global roles and role templates carry them. */
export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface GlobalRole extends Resource {
  name: string;
  description?: string;
  rules?: Rule[];
  newUserDefault?: boolean;
  builtin?: boolean;
}

interface RoleTemplate extends Resource {
  name: string;
  description?: string;
  context: 'cluster' | 'project';
  rules?: Rule[];
  roleTemplateIds?: string[];
  builtin?: boolean;
  locked?: boolean;
  external?: boolean;
  hidden?: boolean;
}

const PAGE = 50;
/** Paddock's own resources (clusters, users, ...) are in Rancher's management API group. */
const MANAGEMENT_GROUP = 'management.cattle.io';

/** The roles themselves: global roles and role templates, with what each allows. */
export function RolesView() {
  const session = useSession();
  return (
    <>
      {session.can('globalRole', 'GET', 'collection') && <GlobalRoles />}
      {session.can('roleTemplate', 'GET', 'collection') && <RoleTemplates />}
    </>
  );
}

const all = (list: string[] | undefined, what: string) => (list ?? []).map((x) => (x === '*' ? `all ${what}` : x));

/** One rule in words: `get, list` on `clusters, nodes` in `management.cattle.io`. */
function RuleRow({ rule }: { rule: Rule }) {
  const urls = (rule.nonResourceURLs ?? []).length > 0;
  const groups = (rule.apiGroups ?? []).map((g) => (g === '' ? 'core' : g === '*' ? 'any API group' : g));
  return (
    <tr>
      <td>
        {(rule.verbs.includes('*') ? ['all'] : rule.verbs).map((v) => (
          <Fragment key={v}>
            <span className="verb">{v}</span>{' '}
          </Fragment>
        ))}
      </td>
      <td>
        {urls ? (
          <>{rule.nonResourceURLs?.includes('*') ? 'all URLs' : `URLs ${rule.nonResourceURLs?.join(', ')}`}</>
        ) : (
          <>
            {all(rule.resources, 'resources').join(', ')}
            {(rule.resourceNames ?? []).length > 0 && <> named {rule.resourceNames?.join(', ')}</>}
            <div className="sub">{groups.join(', ')}</div>
          </>
        )}
      </td>
    </tr>
  );
}

/** What a role allows: a compact table of verbs × resources, one line per rule. */
function Rules({ rules, label, external }: { rules: Rule[]; label: string; external?: string }) {
  return (
    <>
      {rules.length > 0 && (
        <table className="table rules" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">Verbs</th>
              <th scope="col">Resources</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => (
              <RuleRow key={i} rule={r} />
            ))}
          </tbody>
        </table>
      )}
      {external && (
        <p className="hint">
          Grants what the Kubernetes ClusterRole <code>{external}</code> allows, in the cluster.
        </p>
      )}
      {rules.length === 0 && !external && <p className="hint">No rules of its own.</p>}
    </>
  );
}

/** A filter's setter that also goes back to the first page. */
function firstPageOn(setMarker: (m: string) => void, set: (value: string) => void) {
  return (value: string) => {
    setMarker('');
    set(value);
  };
}

function GlobalRoles() {
  const [filter, setFilter] = useState('');
  const [marker, setMarker] = useState('');
  const [removing, setRemoving] = useState<GlobalRole>();
  const list = useAsync(() => get<Collection<GlobalRole>>(`/v3/globalroles${qs({ limit: PAGE, marker, sort: 'name', name_like: filter.trim() })}`), [marker, filter]);
  useLive(['globalRole'], list.reload, list.reload);
  const canCreate = Boolean(list.data?.createTypes?.globalRole);
  return (
    <section className="section" aria-labelledby="global-roles-title">
      <h2 id="global-roles-title">Global roles</h2>
      <p className="hint">What a person may do everywhere. Everyone holds at least the roles new users get.</p>
      {canCreate && <NewGlobalRole onCreated={list.reload} />}
      <div className="toolbar" role="search">
        <SearchField label="Filter global roles by name" value={filter} onChange={firstPageOn(setMarker, setFilter)} />
      </div>
      <ErrorNote error={list.error} action={<Button onClick={list.reload}>Try again</Button>} />
      {!list.data && list.loading && <Loading what="global roles" />}
      {list.data?.data.length === 0 && <Empty>No global role matches.</Empty>}
      {list.data && list.data.data.length > 0 && (
        <ul className="roles" data-testid="global-roles">
          {list.data.data.map((r) => (
            <li key={r.id} className="card role-card" data-role={r.id}>
              <div className="role-head">
                <h3>{r.name}</h3>
                <code className="sub">{r.id}</code>
                <span className="flag">{r.builtin ? 'built in' : 'custom'}</span>
                {r.newUserDefault && <span className="flag">new users get it</span>}
                {r.links?.remove && !r.builtin && (
                  <Button variant="link" className="end" onClick={() => setRemoving(r)} aria-label={`Delete global role ${r.name}`}>
                    Delete
                  </Button>
                )}
              </div>
              {r.description && <p className="hint">{r.description}</p>}
              <Rules rules={r.rules ?? []} label={`What ${r.name} allows`} />
            </li>
          ))}
        </ul>
      )}
      {list.data && <Pager page={list.data} marker={marker} setMarker={setMarker} label="Pages of global roles" />}
      {removing && (
        <Confirm title={`Delete global role ${removing.name}?`} confirmLabel="Delete" danger onClose={() => setRemoving(undefined)} onConfirm={() => del(resourcePath('globalroles', removing.id)).then(list.reload)}>
          <p>It can be deleted only once no one holds it.</p>
        </Confirm>
      )}
    </section>
  );
}

function RoleTemplates() {
  const [filter, setFilter] = useState('');
  const [context, setContext] = useState('');
  const [marker, setMarker] = useState('');
  const list = useAsync(async () => {
    const page = await get<Collection<RoleTemplate>>(`/v3/roletemplates${qs({ limit: PAGE, marker, sort: 'name', name_like: filter.trim(), context })}`);
    // Names of the templates these include that are not on the page.
    const missing = [...new Set(page.data.flatMap((t) => t.roleTemplateIds ?? []))].filter((id) => !page.data.some((t) => t.id === id));
    const more = missing.length ? await get<Collection<RoleTemplate>>(`/v3/roletemplates${qs({ id_in: missing, limit: -1 })}`).then((c) => c.data, () => []) : [];
    return { page, names: new Map([...page.data, ...more].map((t) => [t.id, t.name])) };
  }, [marker, filter, context]);
  useLive(['roleTemplate'], list.reload, list.reload);
  const data = list.data;
  return (
    <section className="section" aria-labelledby="role-templates-title">
      <h2 id="role-templates-title">Role templates</h2>
      <p className="hint">What a cluster or project member may do there; a template also grants what the templates it includes allow.</p>
      <div className="toolbar" role="search">
        <SearchField label="Filter role templates by name" value={filter} onChange={firstPageOn(setMarker, setFilter)} />
        <SelectField label="Context" value={context} onChange={firstPageOn(setMarker, setContext)}>
          <option value="">Clusters and projects</option>
          <option value="cluster">Clusters</option>
          <option value="project">Projects</option>
        </SelectField>
      </div>
      <ErrorNote error={list.error} action={<Button onClick={list.reload}>Try again</Button>} />
      {!data && list.loading && <Loading what="role templates" />}
      {data?.page.data.length === 0 && <Empty>No role template matches.</Empty>}
      {data && data.page.data.length > 0 && (
        <ul className="roles" data-testid="role-templates">
          {data.page.data.map((t) => (
            <li key={t.id} className="card role-card" data-role-template={t.id}>
              <div className="role-head">
                <h3>{t.name}</h3>
                <code className="sub">{t.id}</code>
                <span className="flag">{t.context}</span>
                <span className="flag">{t.builtin ? 'built in' : 'custom'}</span>
                {t.locked && <span className="flag warn">locked: not for new members</span>}
                {t.hidden && <span className="flag">hidden</span>}
              </div>
              {t.description && <p className="hint">{t.description}</p>}
              {(t.roleTemplateIds ?? []).length > 0 && (
                <p className="inherits">
                  Includes{' '}
                  {(t.roleTemplateIds ?? []).map((id, i) => (
                    <span key={id}>
                      {i > 0 && ', '}
                      <strong>{data.names.get(id) ?? id}</strong> <code className="sub">{id}</code>
                    </span>
                  ))}
                </p>
              )}
              <Rules rules={t.rules ?? []} label={`What ${t.name} allows`} external={t.external ? t.id : undefined} />
            </li>
          ))}
        </ul>
      )}
      {data && <Pager page={data.page} marker={marker} setMarker={setMarker} label="Pages of role templates" />}
    </section>
  );
}

interface RuleInput {
  apiGroups: string;
  resources: string;
  verbs: string;
}

const blankRule = (): RuleInput => ({ apiGroups: MANAGEMENT_GROUP, resources: '', verbs: 'get, list, watch' });

/** `a, b, ""` -> ['a', 'b', ''] (`""` is the core API group). */
const commaList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => (x === '""' || x === "''" ? '' : x));

/**
 * The API's error about rule `i`, for its field `part` (`rules[0].verbs`), or for the rule as a whole (`rules`
 * with a message naming `rules[0]`, such as an unknown verb) when `part` is undefined.
 */
function ruleError(err: unknown, i: number, part?: keyof RuleInput): string | undefined {
  if (!(err instanceof ApiError) || !err.fieldName) return undefined;
  const m = /^rules\[(\d+)\](?:\.(\w+))?/.exec(err.fieldName) ?? (err.fieldName === 'rules' ? /^rules\[(\d+)\]/i.exec(err.message) : null);
  if (!m || Number(m[1]) !== i || (m[2] || undefined) !== part) return undefined;
  // Next to the rule, its number goes without saying.
  const message = err.message.replace(/^rules\[\d+\](\.\w+)?:\s*/i, '');
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** A custom global role: a name and rules (API groups, resources, verbs), checked by the API. */
function NewGlobalRole({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [rules, setRules] = useState<RuleInput[]>([blankRule()]);
  const [done, setDone] = useState('');
  const create = useAction(async () => {
    setDone('');
    const body = { name: name.trim(), description, rules: rules.map((r) => ({ apiGroups: commaList(r.apiGroups), resources: commaList(r.resources), verbs: commaList(r.verbs) })) };
    const role = await post<GlobalRole>('/v3/globalroles', body);
    setDone(`Global role ${role.name} created.`);
    setName('');
    setDescription('');
    setRules([blankRule()]);
    onCreated();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const edit = (i: number, change: Partial<RuleInput>) => setRules(rules.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const err = create.error;
  const aboutRules = err instanceof ApiError && /^rules(\[|$)/.test(err.fieldName ?? '');
  const rulesError = aboutRules && !rules.some((_, i) => ruleError(err, i) ?? ruleError(err, i, 'apiGroups') ?? ruleError(err, i, 'resources') ?? ruleError(err, i, 'verbs')) ? (err as ApiError).message : undefined;
  return (
    <details className="card options">
      <summary>New custom global role</summary>
      <form className="form wide" onSubmit={submit} noValidate aria-label="New custom global role">
        <div className="grid2">
          <Field label="Role name" error={fieldError(err, 'name')}>
            {(p) => <input {...p} name="roleName" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Description (optional)" error={fieldError(err, 'description')}>
            {(p) => <input {...p} name="roleDescription" value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
        </div>
        <fieldset aria-describedby="rules-hint">
          <legend>Rules</legend>
          <p className="hint" id="rules-hint">
            Comma-separated lists. Paddock’s own resources (clusters, users, …) are in the API group <code>{MANAGEMENT_GROUP}</code>; <code>""</code> is Kubernetes’ core group; <code>*</code> means all. Verbs: get, list, watch,
            create, update, patch, delete, or *. You may grant only what you hold yourself.
          </p>
          {rules.map((r, i) => (
            <div key={i} className="rule-edit" role="group" aria-label={`Rule ${i + 1}`}>
              <div className="grid3">
                <Field label="API groups" error={ruleError(err, i, 'apiGroups')}>
                  {(p) => <input {...p} value={r.apiGroups} onChange={(e) => edit(i, { apiGroups: e.target.value })} />}
                </Field>
                <Field label="Resources" error={ruleError(err, i, 'resources')}>
                  {(p) => <input {...p} value={r.resources} onChange={(e) => edit(i, { resources: e.target.value })} placeholder="e.g. clusters, nodes" />}
                </Field>
                <Field label="Verbs" error={ruleError(err, i, 'verbs') ?? ruleError(err, i)}>
                  {(p) => <input {...p} value={r.verbs} onChange={(e) => edit(i, { verbs: e.target.value })} />}
                </Field>
              </div>
              {rules.length > 1 && (
                <Button variant="link" onClick={() => setRules(rules.filter((_, j) => j !== i))} aria-label={`Remove rule ${i + 1}`}>
                  Remove
                </Button>
              )}
            </div>
          ))}
          {rulesError && (
            <div className="field-error" role="alert">
              {rulesError}
            </div>
          )}
          <div>
            <Button onClick={() => setRules([...rules, blankRule()])}>Add a rule</Button>
          </div>
        </fieldset>
        {err !== undefined && !aboutRules && !fieldError(err, 'name', 'description') && <ErrorNote error={err} />}
        {done && (
          <p className="ok-note" role="status">
            {done}
          </p>
        )}
        <Button type="submit" variant="primary" busy={create.busy} disabled={!name.trim()}>
          {create.busy ? 'Creating…' : 'Create global role'}
        </Button>
      </form>
    </details>
  );
}
