import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const COPY_FROM_STDIN = /^\s*copy\s[^;]*\sfrom\s+stdin\s*$/i;
const PREPARED = /^\/\* prepared (\w+) \*\//;

/**
 * `text` marked to run as the named prepared statement `name` on the connections of `copyingPool`. For the
 * constant texts of hot paths: a name must always go with the same text (pg refuses another text under a name a
 * connection has prepared), and a connection keeps what it prepared until it closes.
 *
 * @example
 * const APP_NAME = preparedStatement('herald_app_name', 'select name from apps where id = $1');
 * await db.executeQuery(CompiledQuery.raw(APP_NAME, ['a1']));
 */
export function preparedStatement(name: string, text: string): string {
  if (!/^\w+$/.test(name)) throw new Error(`a prepared statement's name is a word: ${name}`);
  return `/* prepared ${name} */ ${text}`;
}

/**
 * A pg pool for Kysely whose connections also run `copy <table> (<columns>) from stdin`: such a statement takes
 * one parameter, the rows in COPY's text format, streamed to the server with pg-copy-streams. Kysely has no way
 * to hand over the connection of a transaction, so this is how a store COPYs rows inside its own transaction
 * (PostgreSQL parses COPY's rows at a fraction of the cost of a multi-row INSERT's parameters or arrays).
 *
 * A statement whose text opens with the comment `prepared <name>` (see `preparedStatement`) runs as a named
 * prepared statement: each connection parses and plans it once, then only binds its parameters.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: copyingPool(pool) }) });
 * await db.executeQuery(CompiledQuery.raw('copy endpoints (app_id, id) from stdin', ['a1\te1\na1\te2\n']));
 */
export function copyingPool(pool: pg.Pool): PostgresPool {
  // Kysely keeps its connection objects by client: the same pg client must come back as the same wrapper.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = copyingClient(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function copyingClient(client: pg.PoolClient): PostgresPoolClient {
  function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query(text: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof text !== 'string') return client.query(text as unknown as pg.Submittable);
    if (text.startsWith('/* prepared ')) {
      const name = PREPARED.exec(text)?.[1];
      if (name) return client.query({ name, text, values: parameters as unknown[] });
    }
    if (COPY_FROM_STDIN.test(text)) return copyIn(client, text, parameters);
    return client.query(text, parameters as unknown[]);
  }
  return { query, release: () => client.release() };
}

async function copyIn(
  client: pg.PoolClient,
  text: string,
  parameters: readonly unknown[] | undefined,
): Promise<PostgresQueryResult<never>> {
  const data = parameters?.[0];
  if (parameters?.length !== 1 || typeof data !== 'string')
    throw new Error('copy ... from stdin takes its rows, as text, as its one parameter');
  const stream = client.query(copyFrom(text));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(data);
  });
  // Kysely counts affected rows for these commands only; COPY's count is not needed by its callers.
  return { command: 'INSERT', rowCount: stream.rowCount, rows: [] };
}
