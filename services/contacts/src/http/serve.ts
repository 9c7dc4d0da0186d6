/**
 * `gatehouse-contacts serve`: the contacts HTTP API with the configured store, behind the
 * authorizer. Logs are JSON lines (pino) on stdout; no token or header value is ever logged.
 */
import pino from 'pino';
import type { ContactsConfig } from '../config.ts';
import { createContactStore } from '../store/create-contact-store.ts';
import { createContactsApp } from './app.ts';
import { createContactsAuthorization } from './authorization.ts';
import { type RunningServer, startServer } from './server.ts';

/** A running contacts service. */
export interface RunningContactsService extends RunningServer {
  /** Closes the server, the authorizer and the store. */
  close(): Promise<void>;
}

/** Starts the contacts service from a validated configuration. */
export async function serveContacts(
  config: ContactsConfig,
  destination: pino.DestinationStream = pino.destination(1),
): Promise<RunningContactsService> {
  const logger = pino({ level: config.logLevel, base: { service: 'gatehouse-contacts' } }, destination);
  const store = createContactStore(config);
  const auth = createContactsAuthorization({
    issuer: config.issuer,
    audience: config.audience,
    issuerProfile: config.issuerProfile,
    policy: config.policy,
    syncSeconds: config.syncSeconds,
    logger,
  });
  const app = createContactsApp({ store, auth: 'server', logger });
  let server: RunningServer;
  try {
    server = await startServer(app, { port: config.port, host: config.host, guard: auth.guard });
  } catch (error) {
    auth.authorizer.close();
    await store.close();
    throw error;
  }
  // Fetch the issuer's keys, deny-list (and remote policy) now so the first request does not wait;
  // the server may start later (npm start launches both), in which case the first request fetches them.
  auth.authorizer.refresh().catch((error: unknown) => {
    logger.warn(
      { issuer: config.issuer, reason: error instanceof Error ? error.message : String(error) },
      'issuer keys not fetched yet',
    );
  });
  logger.info(
    {
      url: server.url,
      issuer: config.issuer,
      audience: config.audience,
      store: config.store,
      policy: config.policy,
    },
    'contacts service listening',
  );
  return {
    ...server,
    async close() {
      await server.close();
      auth.authorizer.close();
      await store.close();
    },
  };
}
