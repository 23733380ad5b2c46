import { useState, type FormEvent } from 'react';
import { fieldError, post } from '../api';
import type { Cluster } from '../kinds';
import { Link, navigate, useLocation } from '../router';
import { Button, ErrorNote, Field, PageTitle, useAction } from '../ui';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NETWORK_PLUGINS = ['canal', 'flannel', 'calico', 'weave'];

/**
 * Create a custom cluster (nodes added with the agent) or import an existing one: by default with the kubectl
 * command its page then shows (a cluster agent connects it), or with a kubeconfig Paddock uses to reach it.
 */
export function CreateClusterPage() {
  const { query } = useLocation();
  const [kind, setKind] = useState<'custom' | 'import'>(query.get('import') ? 'import' : 'custom');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [kubernetesVersion, setKubernetesVersion] = useState('');
  const [plugin, setPlugin] = useState('canal');
  const [networkPolicy, setNetworkPolicy] = useState(false);
  const [dockerRootDir, setDockerRootDir] = useState('/var/lib/docker');
  const [connectWith, setConnectWith] = useState<'agent' | 'kubeconfig'>('agent');
  const [kubeConfig, setKubeConfig] = useState('');
  const [touched, setTouched] = useState(false);

  const nameProblem = name === '' ? 'Give the cluster a name.' : DNS_LABEL.test(name) ? undefined : 'Use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit.';
  const kubeConfigProblem = kind === 'import' && connectWith === 'kubeconfig' && !kubeConfig.trim() ? 'Paste the kubeconfig, or register the cluster with the kubectl command instead.' : undefined;
  const create = useAction(async () => {
    const body: Record<string, unknown> = { name, description };
    if (kind === 'custom') {
      body.rancherKubernetesEngineConfig = { ...(kubernetesVersion ? { kubernetesVersion } : {}), network: { plugin } };
      body.enableNetworkPolicy = networkPolicy;
      body.dockerRootDir = dockerRootDir || undefined;
    } else if (connectWith === 'kubeconfig') {
      body.importedConfig = { kubeConfig };
    }
    const cluster = await post<Cluster>('/v3/clusters', body);
    // Next step: the command that adds its nodes, or the one that registers it; a kubeconfig needs none.
    navigate(`/clusters/${encodeURIComponent(cluster.id)}${kind === 'import' && connectWith === 'kubeconfig' ? '' : '/register'}`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (nameProblem || kubeConfigProblem) return;
    void create.run();
  };
  const err = create.error;
  const nameError = (touched ? nameProblem : undefined) ?? fieldError(err, 'name', 'Cluster name');
  const kubeConfigError = (touched ? kubeConfigProblem : undefined) ?? fieldError(err, 'kubeConfig', 'importedConfig', 'importedConfig.kubeConfig');
  const otherError = err !== undefined && !kubeConfigError && !fieldError(err, 'name', 'Cluster name', 'description', 'kubernetesVersion', 'dockerRootDir');
  return (
    <main className="page" id="main">
      <p className="crumbs">
        <Link to="/clusters">Clusters</Link> /
      </p>
      <PageTitle>{kind === 'custom' ? 'Create a cluster' : 'Import a cluster'}</PageTitle>
      <form className="card form wide" onSubmit={submit} noValidate aria-busy={create.busy}>
        <fieldset className="choice">
          <legend>Kind of cluster</legend>
          <label>
            <input type="radio" name="kind" checked={kind === 'custom'} onChange={() => setKind('custom')} /> <strong>Custom</strong>: you add your own machines as nodes, with a command Paddock gives you.
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === 'import'} onChange={() => setKind('import')} /> <strong>Import</strong>: an existing Kubernetes cluster, registered with a kubectl command Paddock gives you, or reached with its kubeconfig.
          </label>
        </fieldset>
        <Field label="Cluster name" hint="Lower-case letters, digits and -, e.g. production-eu." error={nameError}>
          {(p) => <input {...p} name="name" value={name} onChange={(e) => setName(e.target.value.trim())} onBlur={() => setTouched(true)} required autoComplete="off" autoFocus />}
        </Field>
        <Field label="Description (optional)" error={fieldError(err, 'description')}>
          {(p) => <textarea {...p} name="description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        {kind === 'import' && (
          <fieldset className="choice">
            <legend>Connect it with</legend>
            <label>
              <input type="radio" name="connectWith" checked={connectWith === 'agent'} onChange={() => setConnectWith('agent')} /> <strong>A kubectl command</strong>: after
              creating it, you run <code>kubectl apply -f …</code> in the cluster, and the agent it deploys connects to Paddock. The cluster need not be reachable from here.
            </label>
            <label>
              <input type="radio" name="connectWith" checked={connectWith === 'kubeconfig'} onChange={() => setConnectWith('kubeconfig')} /> <strong>Its kubeconfig</strong>: Paddock
              reaches the cluster's Kubernetes API itself.
            </label>
          </fieldset>
        )}
        {kind === 'import' && connectWith === 'kubeconfig' && (
          <Field
            label="Kubeconfig of the cluster"
            hint="Paddock reaches the cluster's Kubernetes API with it (a service account token with cluster-admin is best). It is stored and never shown again."
            error={kubeConfigError}
          >
            {(p) => <textarea {...p} name="kubeConfig" rows={8} spellCheck={false} className="mono" value={kubeConfig} onChange={(e) => setKubeConfig(e.target.value)} placeholder={'apiVersion: v1\nkind: Config\nclusters: ...'} />}
          </Field>
        )}
        {kind === 'custom' && (
          <details className="options">
            <summary>Cluster options</summary>
            <Field label="Kubernetes version" hint="Empty: the server's default." error={fieldError(err, 'kubernetesVersion')}>
              {(p) => <input {...p} value={kubernetesVersion} onChange={(e) => setKubernetesVersion(e.target.value.trim())} placeholder="e.g. v1.34.4" />}
            </Field>
            <Field label="Network plugin">
              {(p) => (
                <select {...p} value={plugin} onChange={(e) => setPlugin(e.target.value)}>
                  {NETWORK_PLUGINS.map((x) => (
                    <option key={x}>{x}</option>
                  ))}
                </select>
              )}
            </Field>
            <label className="check">
              <input type="checkbox" checked={networkPolicy} onChange={(e) => setNetworkPolicy(e.target.checked)} /> Enable network policies
            </label>
            <Field label="Docker root directory" error={fieldError(err, 'dockerRootDir')}>
              {(p) => <input {...p} value={dockerRootDir} onChange={(e) => setDockerRootDir(e.target.value.trim())} />}
            </Field>
          </details>
        )}
        {otherError && <ErrorNote error={err} />}
        <div className="actions">
          <Link className="btn btn-plain" to="/clusters">
            Cancel
          </Link>
          <Button type="submit" variant="primary" busy={create.busy}>
            {create.busy ? 'Creating…' : kind === 'custom' ? 'Create' : 'Import'}
          </Button>
        </div>
      </form>
    </main>
  );
}
