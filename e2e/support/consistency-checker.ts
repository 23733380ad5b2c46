import { Agent, request } from 'node:https';

/** One HTTP exchange's outcome: a status and body, or no answer at all (the outcome of a write is unknown). */
type Outcome = { status: number; json: Record<string, unknown> } | { status: 0; error: string };

interface Tracked {
  id: string;
  /** The description of the last write acknowledged (2xx). */
  acked: string;
  /** Descriptions written after it whose outcome is unknown (no answer, or 5xx). */
  maybe: Set<string>;
  /** The highest resourceVersion this client has seen for the object (its writes' answers and its reads). */
  maxSeen: number;
}

export interface CheckerReport {
  ackedWrites: number;
  unknownWrites: number;
  reads: number;
  failedRequests: number;
  /** Reads older than something the same client had already seen, and acknowledged writes missing at the end. */
  violations: string[];
}

/** Kept-alive connections per client; the balancer gives consecutive ones to different replicas. */
const LANES = 3;

/**
 * Jepsen-style, in miniature: `clients` independent clients create and update their own global roles and read
 * them back through one address (the load balancer). Each client keeps three kept-alive connections (lanes),
 * which the balancer spreads over the replicas, and sends each request on the next lane: a read follows a write
 * at once on another replica, where a cache that trails would show an older version. It records every
 * acknowledged write and checks that
 * - no client ever reads an object at a version older than one it already saw (its own acknowledged writes
 *   included): no stale reads across replicas;
 * - at the end, every acknowledged create exists and every object holds its last acknowledged write, or a later
 *   write whose outcome was unknown: no acknowledged write is lost.
 */
export class ConsistencyChecker {
  readonly #violations: string[] = [];
  readonly #acks: number[] = [];
  #unknown = 0;
  #reads = 0;
  #failed = 0;
  #running = false;
  #loops: Promise<Tracked[]>[] = [];

  constructor(
    private readonly url: string,
    private readonly ca: string,
    private readonly token: string,
    private readonly clients = 4,
  ) {}

  start(): void {
    this.#running = true;
    this.#loops = Array.from({ length: this.clients }, (_, i) => this.#client(i));
  }

  /** Acknowledged writes at or after `since` (ms since the epoch). */
  ackedSince(since: number): number {
    return this.#acks.filter((t) => t >= since).length;
  }

  /** Stops the clients, then reads every object once more and reports. */
  async stop(): Promise<CheckerReport> {
    this.#running = false;
    const tracked = (await Promise.all(this.#loops)).flat();
    for (const object of tracked) await this.#verifyFinal(object);
    return { ackedWrites: this.#acks.length, unknownWrites: this.#unknown, reads: this.#reads, failedRequests: this.#failed, violations: this.#violations };
  }

  async #client(index: number): Promise<Tracked[]> {
    const mine: Tracked[] = [];
    const lanes = Array.from({ length: LANES }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    try {
      for (let step = 0; this.#running; step++) {
        const lane = lanes[step % LANES];
        // Each object is updated, then read at once on the next lane (another replica).
        const object = mine[Math.floor(step / 2) % Math.max(1, mine.length)];
        if (!object || (mine.length < 3 && step % 6 === 0)) await this.#create(lane, index, step, mine);
        else if (step % 2 === 0) await this.#update(lane, object, `client-${index}-write-${step}`);
        else await this.#read(lane, object);
      }
    } finally {
      for (const lane of lanes) lane.destroy();
    }
    return mine;
  }

  async #create(lane: Agent | undefined, index: number, step: number, mine: Tracked[]): Promise<void> {
    const description = `client-${index}-create-${step}`;
    const res = await this.#call(lane, 'POST', '/v3/globalroles', { name: `checker-${index}-${step}`, description, rules: [] });
    if (res.status === 201) {
      this.#acks.push(Date.now());
      mine.push({ id: String(res.json.id), acked: description, maybe: new Set(), maxSeen: Number(res.json.resourceVersion) });
    } else if (res.status === 0 || res.status >= 500) this.#unknown++;
  }

  async #update(lane: Agent | undefined, object: Tracked, description: string): Promise<void> {
    const res = await this.#call(lane, 'PUT', `/v3/globalroles/${object.id}`, { description });
    if (res.status === 200) {
      this.#acks.push(Date.now());
      object.acked = description;
      object.maybe.clear();
      this.#seen(object, Number(res.json.resourceVersion), 'its own update\'s answer');
    } else if (res.status === 0 || res.status >= 500) {
      this.#unknown++;
      object.maybe.add(description);
    }
  }

  async #read(lane: Agent | undefined, object: Tracked): Promise<void> {
    const res = await this.#call(lane, 'GET', `/v3/globalroles/${object.id}`);
    if (res.status !== 200) return;
    this.#reads++;
    this.#seen(object, Number(res.json.resourceVersion), `a read (description ${String(res.json.description)})`);
  }

  #seen(object: Tracked, version: number, what: string): void {
    if (version < object.maxSeen) this.#violations.push(`stale read of ${object.id}: ${what} at version ${version} after this client saw ${object.maxSeen}`);
    object.maxSeen = Math.max(object.maxSeen, version);
  }

  async #verifyFinal(object: Tracked): Promise<void> {
    let res: Outcome = { status: 0, error: 'not tried' };
    for (let attempt = 0; attempt < 20 && res.status !== 200 && res.status !== 404; attempt++) {
      res = await this.#call(undefined, 'GET', `/v3/globalroles/${object.id}`);
      if (res.status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    if (res.status !== 200) {
      this.#violations.push(`acknowledged create of ${object.id} lost: final read ${'error' in res ? res.error : res.status}`);
      return;
    }
    const description = String(res.json.description);
    if (description !== object.acked && !object.maybe.has(description)) {
      this.#violations.push(`acknowledged write to ${object.id} lost: holds "${description}", last acknowledged "${object.acked}"`);
    }
    this.#seen(object, Number(res.json.resourceVersion), 'the final read');
  }

  /** One request on `lane` (a fresh connection without one), given up after 4 s (an unknown outcome for a write). */
  #call(lane: Agent | undefined, method: string, path: string, body?: unknown): Promise<Outcome> {
    return new Promise((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${this.url}${path}`,
        {
          method,
          ca: this.ca,
          agent: lane ?? false,
          timeout: 4_000,
          headers: { authorization: `Bearer ${this.token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json: Record<string, unknown> = {};
            try {
              json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch (err) {
              void err; // not JSON (a proxy's error page): the status says enough
            }
            if ((res.statusCode ?? 0) >= 500) this.#failed++;
            resolve({ status: res.statusCode ?? 0, json });
          });
          res.on('error', (err) => (this.#failed++, resolve({ status: 0, error: err.message })));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 4 s')));
      req.on('error', (err) => (this.#failed++, resolve({ status: 0, error: err.message })));
      req.end(payload);
    });
  }
}
