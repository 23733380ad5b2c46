#!/usr/bin/env node
// Installs the system tools the tests drive when they are missing (command -> Debian package). Debian only.
import { spawnSync } from 'node:child_process';

const needed = {
  curl: 'curl',
  jq: 'jq',
  openssl: 'openssl',
  etcd: 'etcd-server',
  kubectl: 'kubernetes-client',
  chromium: 'chromium',
  haproxy: 'haproxy',
};
const missing = Object.entries(needed)
  .filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status !== 0)
  .map(([, pkg]) => pkg);
if (missing.length === 0) process.exit(0);

console.log(`installing system packages for the tests: ${missing.join(' ')}`);
const asRoot = (args) => (process.getuid?.() === 0 ? args : ['sudo', ...args]);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', ...missing]]) {
  const [cmd, ...rest] = asRoot(args);
  const r = spawnSync(cmd, rest, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`could not install ${missing.join(' ')}: '${args.join(' ')}' failed`);
    process.exit(1);
  }
}
