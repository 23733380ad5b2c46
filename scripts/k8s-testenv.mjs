#!/usr/bin/env node
// A real Kubernetes API (etcd + kube-apiserver built from k8s.io/kubernetes) for tests and benchmarks.
//
//   node scripts/k8s-testenv.mjs build            build the pinned kube-apiserver into the cache if missing; print its path
//   node scripts/k8s-testenv.mjs start            start etcd + kube-apiserver in the background; print the env as JSON
//   node scripts/k8s-testenv.mjs stop <dir>       stop an env started with `start` and remove its directory
//   node scripts/k8s-testenv.mjs run -- <cmd...>  start, run <cmd> with KUBECONFIG set, stop; exits with <cmd>'s code
//
// Options: --version vX.Y.Z (default: the pinned release). The cache is ${XDG_CACHE_HOME:-~/.cache}/paddock/kube-apiserver.
import { spawn } from 'node:child_process';
import { ensureKubeApiserver, KUBERNETES_VERSION, startK8sTestEnv, stopK8sTestEnv } from './k8s/testenv.mjs';

const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
const args = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
const rest = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
const vi = args.indexOf('--version');
const version = vi >= 0 ? args.splice(vi, 2)[1] : KUBERNETES_VERSION;
const [command, ...positional] = args;
const log = (line) => process.stderr.write(`${line}\n`);

function usage() {
  log('usage: k8s-testenv.mjs build | start | stop <dir> | run -- <command...>   [--version vX.Y.Z]');
  process.exit(2);
}

try {
  switch (command) {
    case 'build':
      console.log(await ensureKubeApiserver({ version, log }));
      break;
    case 'start': {
      const env = await startK8sTestEnv({ version, log, detached: true });
      const { stop: _stop, caPem: _ca, ...printable } = env;
      console.log(JSON.stringify(printable, null, 2));
      log(`ready in ${env.readyMs} ms; stop with: node scripts/k8s-testenv.mjs stop ${env.dir}`);
      break;
    }
    case 'stop':
      if (!positional[0]) usage();
      await stopK8sTestEnv(positional[0]);
      break;
    case 'run': {
      if (rest.length === 0) usage();
      const env = await startK8sTestEnv({ version, log });
      log(`kube-apiserver ${version} ready at ${env.url} in ${env.readyMs} ms`);
      const child = spawn(rest[0], rest.slice(1), {
        stdio: 'inherit',
        env: { ...process.env, KUBECONFIG: env.kubeconfigPath, K8S_TESTENV_URL: env.url, K8S_TESTENV_TOKEN: env.adminToken },
      });
      const forward = (sig) => child.kill(sig);
      process.on('SIGINT', forward).on('SIGTERM', forward);
      const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
      await env.stop();
      process.exit(code);
    }
    default:
      usage();
  }
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
