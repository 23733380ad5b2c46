import { useState } from 'react';
import { get, post, qs, type Collection } from '../api';
import { addressProblem, buildCommand, caChecksumOf, nodeNameProblem, parseLabels, type NodeOptions } from '../command';
import { nodeName, type Cluster, type Node, type RegistrationToken } from '../kinds';
import { useSession } from '../session';
import { Button, CodeBox, ErrorNote, Field, Loading, StateBadge, useAsync } from '../ui';

/** The cluster's registration token; created when it has none yet and the caller may create one. */
export async function registrationToken(clusterId: string, mayCreate: boolean): Promise<RegistrationToken | undefined> {
  const list = await get<Collection<RegistrationToken>>(`/v3/clusterregistrationtokens${qs({ clusterId })}`);
  const found = list.data.find((t) => t.state !== 'removing') ?? list.data[0];
  if (found || !mayCreate) return found;
  return post<RegistrationToken>('/v3/clusterregistrationtokens', { clusterId });
}

/**
 * Add nodes: pick roles and optional name, addresses and labels, and get the exact command to run on the
 * machine, in a secure variant (checks the server's CA against its checksum) and an insecure one.
 */
export function AddNodes({ cluster, nodes }: { cluster: Cluster; nodes: Node[] }) {
  const session = useSession();
  const token = useAsync(() => registrationToken(cluster.id, session.can('clusterRegistrationToken', 'POST')), [cluster.id]);
  const first = nodes.length === 0;
  const [o, setO] = useState<NodeOptions>({ etcd: first, controlPlane: first, worker: true, nodeName: '', address: '', internalAddress: '', labels: '' });
  const [runner, setRunner] = useState<'paddock' | 'docker'>('paddock');
  // Opened and closed by the person only: tied to the fields' values it would fold away while they clear one.
  const [optionsOpen, setOptionsOpen] = useState(false);
  const set = (patch: Partial<NodeOptions>) => setO((x) => ({ ...x, ...patch }));

  if (token.loading && !token.data) return <Loading what="the registration command" />;
  if (token.error) return <ErrorNote error={token.error} action={<Button onClick={token.reload}>Try again</Button>} />;
  const t = token.data;
  if (!t) return <p className="empty">This cluster has no registration token, and you may not create one. Ask the cluster's owner for the command.</p>;

  const labelCheck = parseLabels(o.labels);
  const problems = [nodeNameProblem(o.nodeName), addressProblem(o.address), addressProblem(o.internalAddress), labelCheck.problem].filter(Boolean);
  const secureBase = runner === 'paddock' ? t.agentCommand : t.nodeCommand;
  const insecureBase = runner === 'paddock' ? t.insecureAgentCommand : t.insecureNodeCommand;
  const checksum = caChecksumOf(t.agentCommand ?? t.nodeCommand);
  const recent = [...nodes].sort((a, b) => String(b.created).localeCompare(String(a.created))).slice(0, 5);

  return (
    <section aria-labelledby="add-nodes-title" className="add-nodes">
      <h2 id="add-nodes-title">Add nodes</h2>
      <div className="card form wide">
        <fieldset className="choice inline">
          <legend>Run the agent with</legend>
          <label>
            <input type="radio" name="runner" checked={runner === 'paddock'} onChange={() => setRunner('paddock')} /> the <code>paddock</code> binary
          </label>
          <label>
            <input type="radio" name="runner" checked={runner === 'docker'} onChange={() => setRunner('docker')} /> Docker
          </label>
        </fieldset>
        <fieldset className="choice inline">
          <legend>Node roles</legend>
          <label className="check">
            <input type="checkbox" name="etcd" checked={o.etcd} onChange={(e) => set({ etcd: e.target.checked })} /> etcd
          </label>
          <label className="check">
            <input type="checkbox" name="controlPlane" checked={o.controlPlane} onChange={(e) => set({ controlPlane: e.target.checked })} /> Control plane
          </label>
          <label className="check">
            <input type="checkbox" name="worker" checked={o.worker} onChange={(e) => set({ worker: e.target.checked })} /> Worker
          </label>
          {!o.etcd && !o.controlPlane && !o.worker && <p className="hint">No role chosen: the node becomes a worker.</p>}
        </fieldset>
        <details className="options" open={optionsOpen} onToggle={(e) => setOptionsOpen(e.currentTarget.open)}>
          <summary>Node name, addresses and labels (optional)</summary>
          <div className="grid2">
            <Field label="Node name" hint="Default: the machine's short host name." error={nodeNameProblem(o.nodeName)}>
              {(p) => <input {...p} name="nodeName" value={o.nodeName} onChange={(e) => set({ nodeName: e.target.value.trim() })} autoComplete="off" />}
            </Field>
            <Field label="Public address" hint="IP or interface name. Default: the address of the default route." error={addressProblem(o.address)}>
              {(p) => <input {...p} name="address" value={o.address} onChange={(e) => set({ address: e.target.value.trim() })} autoComplete="off" />}
            </Field>
            <Field label="Internal address" hint="For traffic inside the cluster. Default: the public address." error={addressProblem(o.internalAddress)}>
              {(p) => <input {...p} name="internalAddress" value={o.internalAddress} onChange={(e) => set({ internalAddress: e.target.value.trim() })} autoComplete="off" />}
            </Field>
            <Field label="Labels" hint="One key=value per line." error={labelCheck.problem}>
              {(p) => <textarea {...p} name="labels" rows={3} value={o.labels} onChange={(e) => set({ labels: e.target.value })} placeholder={'zone=eu-1\ndisk=ssd'} />}
            </Field>
          </div>
        </details>
        {problems.length > 0 && <p className="field-error">Fix the options above: the command below leaves out what is not valid.</p>}
        <h3>Command</h3>
        <p>Run this on each machine you want to add{runner === 'docker' ? ' (with Docker installed)' : ' (with the paddock binary installed)'}. It checks that it talks to this server with the CA checksum below.</p>
        {secureBase ? <CodeBox text={buildCommand(secureBase, o)} label="Registration command" testId="registration-command" /> : <p className="empty">The server gave no command for this cluster.</p>}
        <p className="checksum">
          CA checksum (SHA-256 of this server's CA certificate): <code data-testid="ca-checksum">{checksum ?? 'none: the server has no private CA'}</code>
        </p>
        {insecureBase && (
          <details className="options">
            <summary>Insecure variant (when the machine cannot check the certificate)</summary>
            <p className="hint">This fetches the CA without verifying it first. Use it only on a network you trust.</p>
            <CodeBox text={buildCommand(insecureBase, o)} label="Insecure registration command" testId="insecure-registration-command" />
          </details>
        )}
      </div>
      <div className="card" aria-live="polite">
        <h3>Registered nodes</h3>
        {recent.length === 0 ? (
          <p className="empty">
            No node yet: run the command on a machine, and it shows here within seconds. <span className="spinner small" aria-hidden="true" />
          </p>
        ) : (
          <ul className="plain">
            {recent.map((n) => (
              <li key={n.id}>
                <strong>{nodeName(n)}</strong> <StateBadge state={n.state} />
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
