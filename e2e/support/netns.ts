import { execFileSync } from 'node:child_process';

/**
 * Test hosts as Linux network namespaces: a bridge in the root namespace (the server's side) and one
 * namespace per host, joined to the bridge by a veth pair, each with its own address on a private /24
 * that exists only inside this test. Needs root (CI runs as root). Names carry the process id so parallel
 * runs do not collide; `destroy()` removes everything.
 */
export interface TestHost {
  name: string;
  /** The namespace name, for `ip netns exec`. */
  netns: string;
  address: string;
  /** The host-side end of its veth pair: set it down to cut the host off. */
  hostVeth: string;
}

export interface TestNetwork {
  bridge: string;
  /** The root namespace's address on the bridge: where the hosts reach the server. */
  gateway: string;
  hosts: TestHost[];
  /** Cuts (false) or restores (true) a host's link. */
  setLink(host: TestHost, up: boolean): void;
  destroy(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

export function createTestNetwork(hostNames: string[]): TestNetwork {
  const tag = (process.pid % 10000).toString(36);
  const subnet = `10.${200 + (process.pid % 50)}.${Math.floor(process.pid / 50) % 250}`;
  const bridge = `pdbr${tag}`;
  const gateway = `${subnet}.1`;
  const hosts: TestHost[] = hostNames.map((name, i) => ({
    name,
    netns: `pd${tag}${name}`,
    address: `${subnet}.${11 + i}`,
    hostVeth: `pdh${tag}${i}`,
  }));
  const network: TestNetwork = {
    bridge,
    gateway,
    hosts,
    setLink(host, up) {
      ip('link', 'set', host.hostVeth, up ? 'up' : 'down');
    },
    destroy() {
      for (const h of hosts) {
        tryRun(() => ip('netns', 'del', h.netns));
        tryRun(() => ip('link', 'del', h.hostVeth));
      }
      tryRun(() => ip('link', 'del', bridge));
    },
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    hosts.forEach((h, i) => {
      const inner = `pdn${tag}${i}`;
      ip('netns', 'add', h.netns);
      ip('link', 'add', h.hostVeth, 'type', 'veth', 'peer', 'name', inner);
      ip('link', 'set', inner, 'netns', h.netns);
      ip('link', 'set', h.hostVeth, 'master', bridge);
      ip('link', 'set', h.hostVeth, 'up');
      ip('-n', h.netns, 'addr', 'add', `${h.address}/24`, 'dev', inner);
      ip('-n', h.netns, 'link', 'set', inner, 'up');
      ip('-n', h.netns, 'link', 'set', 'lo', 'up');
      ip('-n', h.netns, 'route', 'add', 'default', 'via', gateway);
    });
  } catch (err) {
    network.destroy();
    throw err;
  }
  return network;
}

/** Best-effort cleanup step: a thing already gone is fine. */
function tryRun(step: () => unknown): void {
  try {
    step();
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    if (!/Cannot find|No such|does not exist|Invalid "netns"/i.test(stderr)) throw err;
  }
}
