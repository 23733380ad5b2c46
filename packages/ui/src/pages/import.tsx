import { awaitsClusterAgent, clusterConnected, type Cluster } from '../kinds';
import { useSession } from '../session';
import { Button, CodeBox, ErrorNote, Loading, StateBadge, useAsync } from '../ui';
import { registrationToken } from './register';

/**
 * Register an existing cluster (imported clusters): the `kubectl apply -f <manifest URL>` command that deploys
 * Paddock's cluster agent in it, and the `curl --insecure ... | kubectl apply -f -` variant for a machine that
 * does not trust this server's certificate. The cluster's state follows live, so the person sees it connect.
 */
export function ImportCluster({ cluster }: { cluster: Cluster }) {
  const session = useSession();
  const token = useAsync(() => registrationToken(cluster.id, session.can('clusterRegistrationToken', 'POST')), [cluster.id]);

  if (token.loading && !token.data) return <Loading what="the import command" />;
  if (token.error) return <ErrorNote error={token.error} action={<Button onClick={token.reload}>Try again</Button>} />;
  const t = token.data;
  if (!t) return <p className="empty">This cluster has no registration token, and you may not create one. Ask the cluster's owner for the command.</p>;

  return (
    <section aria-labelledby="import-title" className="add-nodes">
      <h2 id="import-title">Register an existing cluster</h2>
      <div className="card form wide">
        <h3>Command</h3>
        <p>
          Run this with <code>kubectl</code> where its current context is the cluster to add (it needs cluster-admin there). It deploys Paddock's cluster agent in the{' '}
          <code>cattle-system</code> namespace, and the agent connects the cluster to this server: the cluster need not be reachable from Paddock.
        </p>
        {t.command ? <CodeBox text={t.command} label="Import command" testId="import-command" /> : <p className="empty">The server gave no import command for this cluster.</p>}
        {t.insecureCommand && (
          <>
            <h3>If kubectl does not trust this server's certificate</h3>
            <p className="hint">
              When the machine running kubectl does not trust the certificate of this server (for example, Paddock uses its own CA), <code>kubectl apply -f</code> cannot fetch
              the manifest. This variant fetches it with <code>curl --insecure</code>, without checking the certificate: use it only on a network you trust. The agent it deploys
              still checks the server against the CA checksum in the manifest.
            </p>
            <CodeBox text={t.insecureCommand} label="Insecure import command" testId="insecure-import-command" />
          </>
        )}
        {t.manifestUrl && (
          <p className="hint">
            To read what it applies first:{' '}
            <a href={t.manifestUrl} download>
              download the manifest
            </a>
            .
          </p>
        )}
      </div>
      <div className="card" aria-live="polite" data-testid="import-status">
        <h3>Connection</h3>
        {clusterConnected(cluster) ? (
          <p>
            <StateBadge state={cluster.state} /> Connected: Paddock reaches this cluster's Kubernetes API. Running the command again updates the agent.
          </p>
        ) : awaitsClusterAgent(cluster) ? (
          <p className="empty">
            Waiting for the cluster agent: run the command, and the cluster turns active here within seconds of its agent starting. <span className="spinner small" aria-hidden="true" />
          </p>
        ) : (
          <p>
            <StateBadge state={cluster.state} title={cluster.transitioningMessage} /> {cluster.transitioningMessage ?? 'Not connected.'}
          </p>
        )}
      </div>
    </section>
  );
}
