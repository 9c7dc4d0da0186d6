import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthContext } from '../authorizer/create-authorizer.ts';
import { echo, type RunningApp, runAdapterContract } from '../testing/adapter-contract.ts';
import { createNodeGuard, type NodeGuardNext, withAuthorization } from './node.ts';

/** Serves `listen(onAllowed)` on 127.0.0.1, counting the requests the handler was given. */
async function start(
  listen: (onAllowed: (auth: AuthContext, send: (body: string) => void) => void) => RequestListener,
): Promise<RunningApp> {
  let handled = 0;
  const server = createServer(
    listen((auth, send) => {
      handled++;
      send(echo(auth));
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
}

const answer = (res: Parameters<RequestListener>[1]) => (body: string) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);

runAdapterContract('node:http', (authorizer) =>
  start((onAllowed) => withAuthorization(authorizer, (req, res) => onAllowed(req.auth, answer(res)))),
);

runAdapterContract('node:http guard (connect-style)', (authorizer) => {
  const guard = createNodeGuard(authorizer);
  return start((onAllowed) => {
    // one next for every request: it gets the request and the response it is for
    const next: NodeGuardNext = (auth, _req, res) => onAllowed(auth, answer(res));
    return (req, res) => guard(req, res, next);
  });
});
