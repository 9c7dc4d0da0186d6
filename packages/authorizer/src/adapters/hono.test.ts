import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Authorizer } from '../authorizer/create-authorizer.ts';
import { echo, runAdapterContract } from '../testing/adapter-contract.ts';
import { createHonoMiddleware, type HonoAuthEnv } from './hono.ts';

async function startHono(authorizer: Authorizer) {
  let handled = 0;
  const app = new Hono<HonoAuthEnv>();
  app.use(createHonoMiddleware(authorizer));
  app.all('*', (c) => {
    handled++;
    return c.body(echo(c.get('auth')), 200, { 'content-type': 'application/json' });
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handled: () => handled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

runAdapterContract('Hono', startHono);
