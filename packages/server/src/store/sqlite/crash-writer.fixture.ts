/**
 * Child process for the crash test in sqlite-store.test.ts: `node --import tsx crash-writer.fixture.ts <db>`.
 * Creates objects forever, one at a time, and prints each id on stdout after its create resolved
 * (i.e. after it was acknowledged as durable). The test kills it with SIGKILL.
 */
import { SqliteStore } from './sqlite-store.js';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: crash-writer.fixture.ts <database path>\n');
  process.exit(2);
}

const store = SqliteStore.open({ path, historyLimit: 100 });
const payload = 'x'.repeat(512);
for (let i = 0; ; i++) {
  const id = `obj-${i}`;
  await store.create('crash', id, { i, payload });
  // Writes to a pipe are synchronous on Linux, so a printed id has left this process.
  process.stdout.write(`${id}\n`);
}
