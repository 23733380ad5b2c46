// The far end of the throughput runs, in its own process (see tunnel-throughput.ts): a TCP server on
// 127.0.0.1 that prints `ready <port>`. Each connection starts with one line:
// - `up <n>`: the client then sends n bytes; once all have arrived the peer answers `ok\n`;
// - `down <n>`: the peer sends n bytes (with backpressure) and ends its side.
import { createServer, type Socket } from 'node:net';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const MAX_HEADER = 64;

function sendBytes(socket: Socket, total: number): void {
  let left = total;
  const pump = () => {
    while (left > 0) {
      const size = Math.min(left, CHUNK.length);
      left -= size;
      if (!socket.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size))) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
}

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  let header = '';
  let expected = -1;
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    if (expected >= 0) {
      received += chunk.length;
    } else {
      const newline = chunk.indexOf(0x0a);
      if (newline < 0) {
        header += chunk.toString('latin1');
        if (header.length > MAX_HEADER) socket.destroy();
        return;
      }
      header += chunk.subarray(0, newline).toString('latin1');
      const match = /^(up|down) (\d+)$/.exec(header);
      if (!match) {
        socket.destroy();
        return;
      }
      const n = Number(match[2]);
      if (match[1] === 'down') {
        expected = 0;
        sendBytes(socket, n);
        return;
      }
      expected = n;
      received = chunk.length - newline - 1;
    }
    if (expected > 0 && received >= expected) {
      expected = 0;
      socket.write('ok\n');
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
