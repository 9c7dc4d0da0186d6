import Fastify from 'fastify';
import { echo, runAdapterContract } from '../testing/adapter-contract.ts';
import { registerFastifyAuthorizer } from './fastify.ts';

runAdapterContract('Fastify', async (authorizer) => {
  let handled = 0;
  const app = Fastify();
  registerFastifyAuthorizer(app, authorizer);
  app.all('/*', async (request, reply) => {
    handled++;
    reply.type('application/json').send(echo(request.auth));
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, handled: () => handled, close: () => app.close() };
});
