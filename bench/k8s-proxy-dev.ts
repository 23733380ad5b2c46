import { measureK8sProxy } from './k8s-proxy.js';
import { cleanupAll, installCleanupHandlers } from './processes.js';
installCleanupHandlers();
try {
  const r = await measureK8sProxy(Number(process.env.D ?? 2), Number(process.env.W ?? 1), (l) => process.stdout.write(`${l}\n`));
  console.log(JSON.stringify(r));
} catch (err) { process.exitCode = 1; console.error('failed:', err); } finally { await cleanupAll(); }
