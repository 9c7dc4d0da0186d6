import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { echo, runAdapterContract } from '../testing/adapter-contract.ts';
import { createNodeGuard, withAuthorization } from './node.ts';

runAdapterContract('node:http', async (authorizer) => {
  let handled = 0;
  const server = createServer(
    withAuthorization(authorizer, (req, res) => {
      handled++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(echo(req.auth));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handled: () => handled,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});

runAdapterContract('node:http guard (connect-style)', async (authorizer) => {
  let handled = 0;
  const guard = createNodeGuard(authorizer);
  const server = createServer((req, res) =>
    guard(req, res, (auth) => {
      handled++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(echo(auth));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handled: () => handled,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
