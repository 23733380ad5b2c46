import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './server-process.js';

/**
 * A TCP relay on loopback standing for the network between an agent and the server: `cut()` drops every
 * connection through it and refuses new ones (a link gone), `restore()` listens again on the same port.
 */
export class TcpRelay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private target: { host: string; port: number },
  ) {}

  /** New connections go to `target` from now on (a load balancer moving to a live backend). */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  static async start(target: { host: string; port: number }): Promise<TcpRelay> {
    const relay = new TcpRelay(await freePort(), target);
    await relay.restore();
    return relay;
  }

  async restore(): Promise<void> {
    if (this.#server) return;
    const server = createServer((inbound) => this.#relay(inbound));
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #relay(inbound: Socket): void {
    const outbound = connect(this.target.port, this.target.host);
    for (const socket of [inbound, outbound]) {
      this.#sockets.add(socket);
      // A cut link resets sockets: the errors are the point, not a failure of the relay.
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.#sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }
}
