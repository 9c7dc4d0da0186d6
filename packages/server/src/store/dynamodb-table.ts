/**
 * The one DynamoDB table of the authorization server's store, declared here with its design
 * (single-table, in the manner of ElectroDB / dynamodb-toolbox). Every item carries `type` (its
 * entity) next to its keys, so a Scan (backup, `gatehouse store migrate`) can tell entities apart.
 *
 * | entity                     | PK                    | SK                 | GSI1PK / GSI1SK                | GSI2PK / GSI2SK                  |
 * | -------------------------- | --------------------- | ------------------ | ------------------------------ | -------------------------------- |
 * | resource server (API)      | `API#<identifier>`    | `API`              | `API` / `<createdAt>#<id>`     |                                  |
 * | API id (uniqueness, ->)    | `APIID#<id>`          | `APIID`            |                                |                                  |
 * | client                     | `CLIENT#<clientId>`   | `CLIENT`           | `CLIENT` / `<createdAt>#<id>`  |                                  |
 * | client grant               | `CLIENT#<clientId>`   | `GRANT#<audience>` | `GRANT` / `<createdAt>#<id>`   | `AUD#<audience>` / `<createdAt>#<id>` |
 * | grant id (uniqueness, ->)  | `GRANTID#<id>`        | `GRANTID`          |                                |                                  |
 * | signing key                | `KEYS`                | `KEY#<kid>`        |                                |                                  |
 * | current-key marker per alg | `KEYS`                | `CURRENT#<alg>`    |                                |                                  |
 * | revoked-key entry          | `KEYS`                | `REVOKED#<kid>`    |                                |                                  |
 * | revocation change counter  | `REVOCATIONS`         | `COUNTER`          |                                |                                  |
 * | revocation change (feed)   | `REVOCATIONS`         | `SEQ#<seq, 16 digits>` |                            |                                  |
 * | deny-listed token          | `DENY#<jti, URI-encoded>#<aud>` | `DENY`   |                                |                                  |
 * | cut-off                    | `CUTOFF#<clientId>`   | `AUD#<aud>` (`AUD#` = every audience) |             |                                  |
 * | used assertion jti         | `JTI#<clientId>#<jti>`| `JTI`              |                                |                                  |
 *
 * - Hot reads are one strongly consistent GetItem each: a client (`CLIENT#id`/`CLIENT`), its grant
 *   for an audience (`CLIENT#id`/`GRANT#aud`), an API by identifier (`API#identifier`/`API`).
 *   Strong consistency (twice the read cost of eventual) is what makes a change made through one
 *   instance hold on every other at once.
 * - Uniqueness lives in keys: an API by identifier (its main item) and by id (the `APIID` pointer),
 *   a client by id, a grant by (client, audience) (its main item) and by id (the `GRANTID`
 *   pointer), one current signing key per alg (the `CURRENT#alg` marker, whose `kid` names it).
 *   Writes that touch several items are TransactWriteItems with `attribute_not_exists` conditions.
 * - A client and its grants never disagree: the client item and every API item carry `grantCount`,
 *   which the transaction creating or deleting a grant moves in step. Deleting a client or an API
 *   is conditioned on the count it saw, so a grant added concurrently makes the delete re-read
 *   rather than orphan it.
 * - A client's grants share its partition (one strongly consistent Query lists them); an API's
 *   grants are found through GSI2.
 * - GSI1 (every API, client or grant in creation order) and GSI2 (grants per audience) are sparse
 *   and KEYS_ONLY: a list reads keys up to the page's end, then BatchGetItems the page itself, and
 *   its total is a `Select: COUNT` Query, run only when the caller wants it (`includeTotals`; the
 *   Management API's `include_totals=true`). Cost: a list reads (page + 1) x perPage keys, plus
 *   with the total every key of the entity, about 100 bytes each, so a total of 100,000 clients
 *   costs about 1,250 read units (eventually consistent index reads: 0.5 unit per 4 KB). Index
 *   reads are eventually consistent: a record typically appears in lists well under a second after
 *   its write, while reads by key see it at once. Each GSI partition key (`API`, `CLIENT`,
 *   `GRANT`) is one index partition: about 1,000 writes a second, far above administrative rates.
 * - TransactWriteItems takes at most 100 items. A grant write is 4 items; deleting a client or an
 *   API takes 3 items per grant, so up to 33 grants go in the same transaction as the record
 *   itself. Beyond that, grants are deleted 33 at a time (each batch atomic, counts kept exact)
 *   before the final transaction; an interrupted delete leaves a consistent, smaller state and
 *   finishes when repeated.
 * - Revocations: every deny-listed token, cut-off and revoked key is written twice in one
 *   transaction, as a lookup item (`DENY#…`, `CUTOFF#…`, `KEYS`/`REVOKED#…`, read by key on the
 *   introspection path) and as a change item in the `REVOCATIONS` partition keyed by its sequence
 *   number, which the revocation feed reads as one strongly consistent range Query
 *   (`SEQ#<since+1>` to `SEQ#<latest>`). The same transaction moves the `COUNTER` item from the
 *   value it read to the next one (a conditional update), so transactions that number changes are
 *   serialized and sequence order is commit order; a reader takes the counter first and reads no
 *   further than it. A cut-off that moves forward replaces its change item (new number, old one
 *   deleted). The partition holds live entries only (pruned after expiry), at administrative
 *   write rates.
 * - `expiresAt` (epoch seconds) is the table's TTL attribute, set on revocation items and used
 *   assertion `jti`s; DynamoDB deletes such items within days of expiry, so readers compare their
 *   own millisecond times with the clock, and `pruneRevocations` deletes revocation items as soon
 *   as they are no longer live (used assertion ids are left to TTL: they are spread over many
 *   partitions and an expired one is overwritten when reused).
 * - Key attribute values are limited by DynamoDB to 2,048 bytes (PK) and 1,024 bytes (SK); the
 *   Management API caps identifiers at 600 characters, well within.
 * - On-demand billing (PAY_PER_REQUEST): authorization-server traffic is read-heavy and bursty.
 *   Enable point-in-time recovery on the production table: it holds the sealed signing keys.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-general-nosql-design.html
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** Name of the GSI listing every API, client or grant by creation time. */
export const BY_TYPE_INDEX = 'GSI1';
/** Name of the GSI listing grants per audience by creation time. */
export const BY_AUDIENCE_INDEX = 'GSI2';
/** The TTL attribute (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Primary key of an item. */
export interface ItemKey {
  PK: string;
  SK: string;
}

/** Key builders: the one place that knows the patterns in the table above. */
export const itemKeys = {
  resourceServer: (identifier: string): ItemKey => ({ PK: `API#${identifier}`, SK: 'API' }),
  resourceServerId: (id: string): ItemKey => ({ PK: `APIID#${id}`, SK: 'APIID' }),
  client: (clientId: string): ItemKey => ({ PK: `CLIENT#${clientId}`, SK: 'CLIENT' }),
  clientGrant: (clientId: string, audience: string): ItemKey => ({
    PK: `CLIENT#${clientId}`,
    SK: `GRANT#${audience}`,
  }),
  clientGrantId: (id: string): ItemKey => ({ PK: `GRANTID#${id}`, SK: 'GRANTID' }),
  signingKey: (kid: string): ItemKey => ({ PK: 'KEYS', SK: `KEY#${kid}` }),
  currentKey: (alg: string): ItemKey => ({ PK: 'KEYS', SK: `CURRENT#${alg}` }),
  revokedKey: (kid: string): ItemKey => ({ PK: 'KEYS', SK: `REVOKED#${kid}` }),
  revocationCounter: (): ItemKey => ({ PK: 'REVOCATIONS', SK: 'COUNTER' }),
  revocationChange: (seq: number): ItemKey => ({ PK: 'REVOCATIONS', SK: revocationChangeSortKey(seq) }),
  // The jti is URI-encoded, so it holds no `#` and the first one after it ends it.
  revokedToken: (audience: string, jti: string): ItemKey => ({
    PK: `DENY#${encodeURIComponent(jti)}#${audience}`,
    SK: 'DENY',
  }),
  cutoff: (clientId: string, audience: string | null): ItemKey => ({
    PK: `CUTOFF#${clientId}`,
    SK: `AUD#${audience ?? ''}`,
  }),
  usedAssertion: (clientId: string, jti: string): ItemKey => ({ PK: `JTI#${clientId}#${jti}`, SK: 'JTI' }),
} as const;

/** Sort key of a revocation change: the sequence number zero-padded to 16 digits (string order is numeric order). */
export function revocationChangeSortKey(seq: number): string {
  return `SEQ#${String(Math.trunc(seq)).padStart(16, '0')}`;
}

/** Prefixes of sort keys that Queries select on. */
export const SK_PREFIX = { grant: 'GRANT#', signingKey: 'KEY#' } as const;

/** GSI1 partition of each listed entity. */
export const LISTING = { resourceServer: 'API', client: 'CLIENT', clientGrant: 'GRANT' } as const;

/** GSI2 partition of an audience's grants. */
export function audiencePartition(audience: string): string {
  return `AUD#${audience}`;
}

/**
 * Sort key ordering by creation time, then id (byte order, as DynamoDB compares strings): the time
 * zero-padded to 16 digits so that string order is numeric order.
 */
export function creationSortKey(createdAt: number, id: string): string {
  return `${String(Math.trunc(createdAt)).padStart(16, '0')}#${id}`;
}

/** Outcome of `createStoreTable`. */
export type TableCreation = 'created' | 'exists';

/** Raised when the table is missing, or exists without this design's keys, indexes or TTL. */
export class StoreTableError extends Error {
  readonly code = 'ERR_STORE_TABLE';
  constructor(message: string) {
    super(message);
    this.name = 'StoreTableError';
  }
}

/** Options of `createStoreTable` and `assertStoreTable`. */
export interface StoreTableOptions {
  table: string;
  client: DynamoDBClient;
}

const keyAttribute = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
const keySchema = (hash: string, range: string) => [
  { AttributeName: hash, KeyType: 'HASH' as const },
  { AttributeName: range, KeyType: 'RANGE' as const },
];

/**
 * Creates the store table (keys, both GSIs, TTL on `expiresAt`) when absent and waits until it is
 * ACTIVE; idempotent. An existing table is checked, not changed, apart from enabling TTL.
 * Backs `gatehouse store init`.
 */
export async function createStoreTable({ table, client }: StoreTableOptions): Promise<TableCreation> {
  let outcome: TableCreation = 'created';
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK'].map(keyAttribute),
        KeySchema: keySchema('PK', 'SK'),
        GlobalSecondaryIndexes: [
          {
            IndexName: BY_TYPE_INDEX,
            KeySchema: keySchema('GSI1PK', 'GSI1SK'),
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
          {
            IndexName: BY_AUDIENCE_INDEX,
            KeySchema: keySchema('GSI2PK', 'GSI2SK'),
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    outcome = 'exists';
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: table });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  assertDesign(table, Table);
  await enableTtl(client, table);
  return outcome;
}

/** Checks that the table exists with this design (keys and indexes); the store's `migrate()` runs it. */
export async function assertStoreTable({ table, client }: StoreTableOptions): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    assertDesign(table, Table);
  } catch (err) {
    if (err instanceof ResourceNotFoundException) {
      throw new StoreTableError(
        `DynamoDB table ${table} does not exist; create it with \`gatehouse store init\``,
      );
    }
    throw err;
  }
}

function assertDesign(table: string, t: TableDescription | undefined): void {
  const problems: string[] = [];
  const sameKeys = (actual: unknown, hash: string, range: string) =>
    JSON.stringify(actual) === JSON.stringify(keySchema(hash, range));
  if (!sameKeys(t?.KeySchema, 'PK', 'SK')) problems.push('its key is not (PK HASH, SK RANGE)');
  for (const [name, hash, range] of [
    [BY_TYPE_INDEX, 'GSI1PK', 'GSI1SK'],
    [BY_AUDIENCE_INDEX, 'GSI2PK', 'GSI2SK'],
  ] as const) {
    const index = t?.GlobalSecondaryIndexes?.find((i) => i.IndexName === name);
    if (!index || !sameKeys(index.KeySchema, hash, range)) {
      problems.push(`it lacks the index ${name} (${hash} HASH, ${range} RANGE)`);
    }
  }
  for (const a of t?.AttributeDefinitions ?? []) {
    if (a.AttributeType !== 'S') problems.push(`its key attribute ${a.AttributeName} is not a string`);
  }
  if (problems.length > 0) {
    throw new StoreTableError(
      `DynamoDB table ${table} is not a gatehouse store table: ${problems.join('; ')}; choose another GATEHOUSE_DYNAMODB_TABLE`,
    );
  }
}

async function enableTtl(client: DynamoDBClient, table: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: table }),
  );
  const status = ttl?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') {
    if (ttl?.AttributeName !== TTL_ATTRIBUTE) {
      throw new StoreTableError(
        `DynamoDB table ${table} expires items by ${ttl?.AttributeName}, not ${TTL_ATTRIBUTE}`,
      );
    }
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}
