/** The Read Service's settings, from the environment (the only place it is read). */

/** What the Read Service needs to call the contacts API. */
export interface ServiceConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  contactsUrl: string;
  audience: string;
}

/** Reads and checks `GATEHOUSE_ISSUER`, `CLIENT_ID`, `CLIENT_SECRET`, `CONTACTS_URL`, `CONTACTS_AUDIENCE`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const missing = ['CLIENT_ID', 'CLIENT_SECRET'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(`Set ${missing.join(' and ')} (printed by \`npm start\` for the Read Service).`);
  }
  return {
    issuer: env.GATEHOUSE_ISSUER || 'http://localhost:4000/',
    clientId: env.CLIENT_ID!,
    clientSecret: env.CLIENT_SECRET!,
    contactsUrl: (env.CONTACTS_URL || 'http://localhost:4001').replace(/\/+$/, ''),
    // The contacts API's identifier: the `aud` its tokens must carry.
    audience: env.CONTACTS_AUDIENCE || 'https://contacts.gatehouse.local/',
  };
}
