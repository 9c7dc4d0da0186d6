import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { echo, runAdapterContract } from '../testing/adapter-contract.ts';
import { createExpressMiddleware } from './express.ts';

runAdapterContract('Express', async (authorizer) => {
  let handled = 0;
  const app = express();
  app.use(createExpressMiddleware(authorizer));
  app.use((req, res) => {
    handled++;
    res.type('application/json').send(echo(req.auth));
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handled: () => handled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
