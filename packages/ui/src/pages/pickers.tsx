import { useEffect, useId, useState } from 'react';
import { get, post, qs, type Collection, type Resource } from '../api';
import type { Cluster } from '../kinds';
import type { FieldInputProps } from '../ui';

export interface Principal extends Resource {
  name: string;
  loginName?: string;
  principalType?: string;
}

/** Finds people by name: the principals search action, or the visible principals when it is not offered. */
export async function searchPrincipals(text: string): Promise<Principal[]> {
  try {
    const found = await post<Collection<Principal>>('/v3/principals?action=search', { name: text, principalType: 'user' });
    return found.data;
  } catch {
    const all = await get<Collection<Principal>>(`/v3/principals${qs({ limit: 200 })}`);
    const t = text.toLowerCase();
    return all.data.filter((p) => `${p.name} ${p.loginName ?? ''}`.toLowerCase().includes(t));
  }
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** A text box that suggests matches as you type (a native datalist) and reports the chosen item. */
function Picker<T extends Resource>({ field, search, label, onPick, placeholder }: { field: FieldInputProps; search: (text: string) => Promise<T[]>; label: (x: T) => string; onPick: (x: T | undefined) => void; placeholder: string }) {
  const [text, setText] = useState('');
  const [options, setOptions] = useState<T[]>([]);
  const listId = useId();
  const debounced = useDebounced(text, 200);
  useEffect(() => {
    let stale = false;
    if (debounced.trim() === '') return setOptions([]);
    search(debounced.trim()).then(
      (found) => !stale && setOptions(found.slice(0, 20)),
      () => !stale && setOptions([]),
    );
    return () => void (stale = true);
  }, [debounced, search]);
  useEffect(() => onPick(options.find((o) => label(o) === text)), [text, options, label, onPick]);
  return (
    <>
      <input {...field} list={listId} value={text} onChange={(e) => setText(e.target.value)} placeholder={placeholder} autoComplete="off" />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o.id} value={label(o)} />
        ))}
      </datalist>
    </>
  );
}

export const principalLabel = (p: Principal) => (p.loginName && p.loginName !== p.name ? `${p.name} (${p.loginName})` : p.name || p.id);

export function PrincipalPicker({ field, onPick }: { field: FieldInputProps; onPick: (p: Principal | undefined) => void }) {
  return <Picker field={field} search={searchPrincipals} label={principalLabel} onPick={onPick} placeholder="Type a name or login…" />;
}

const searchClusters = async (text: string) => (await get<Collection<Cluster>>(`/v3/clusters${qs({ name_like: text, limit: 20, sort: 'name' })}`)).data;
const clusterLabel = (c: Cluster) => c.name;

export function ClusterPicker({ field, onPick }: { field: FieldInputProps; onPick: (c: Cluster | undefined) => void }) {
  return <Picker field={field} search={searchClusters} label={clusterLabel} onPick={onPick} placeholder="Type a cluster name…" />;
}
