// The ceiling for one stream over TLS between two Node processes (see tunnel-throughput.ts): a TLS server with
// the given certificate that pipes each connection to 127.0.0.1:<target>, as the agent pipes a tunnelled stream
// to its target, but with no websocket and no multiplexing. Prints `ready <port>`.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const [certFile, keyFile, target] = process.argv.slice(2);
if (!certFile || !keyFile || !target) throw new Error('usage: tls-relay <cert> <key> <target port>');
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (inbound) => {
  const outbound = connect({ host: '127.0.0.1', port: Number(target), noDelay: true });
  for (const socket of [inbound, outbound]) socket.on('error', () => (inbound.destroy(), outbound.destroy()));
  inbound.pipe(outbound).pipe(inbound);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);
});
