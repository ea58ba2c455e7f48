import { CompiledQuery, type Kysely } from 'kysely';
import type { DialectName } from './database.js';

/**
 * A multi-row INSERT for the hot write paths (a campaign page: 1,000 messages and jobs), sent as a cached raw
 * statement: building it through Kysely's query builder parsed and compiled every value of every row again, a
 * measurable share of a fan-out's time. The text depends only on the table, columns, dialect and row count, so
 * SQLite's statement cache and PostgreSQL's parser see the same few statements over and over.
 *
 * Values are passed as parameters, in `columns` order; nothing is interpolated into the SQL but the identifiers
 * given here by the code.
 *
 * @example
 * const jobs = new BulkInsert('jobs', ['id', 'payload'], { onConflict: 'nothing', returning: 'id' });
 * const inserted = await jobs.run(trx, 'sqlite', [['j1', '{}'], ['j2', '{}']]); // [{ id: 'j1' }, { id: 'j2' }]
 */
export class BulkInsert<C extends string> {
  private readonly statements = new Map<string, string>();
  /**
   * Rows per statement, a power of two within both databases' parameter limits (SQLite 32,766; PostgreSQL
   * 65,535). A remainder goes in power-of-two parts, so at most a dozen distinct statements ever exist.
   */
  readonly rowsPerStatement: number;

  constructor(
    private readonly table: string,
    private readonly columns: readonly C[],
    private readonly options: { onConflict?: 'nothing'; returning?: C } = {},
  ) {
    const fit = Math.min(512, Math.floor(30_000 / columns.length));
    this.rowsPerStatement = 2 ** Math.floor(Math.log2(Math.max(1, fit)));
  }

  /** Inserts the rows (each in `columns` order) and returns the `returning` column of the rows written. */
  async run(
    db: Pick<Kysely<unknown>, 'executeQuery'>,
    dialect: DialectName,
    rows: readonly (readonly unknown[])[],
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (let start = 0; start < rows.length; ) {
      let size = this.rowsPerStatement;
      while (size > rows.length - start) size /= 2;
      const part = rows.slice(start, start + size);
      start += size;
      const parameters: unknown[] = [];
      for (const row of part) {
        if (row.length !== this.columns.length)
          throw new Error(`${this.table}: a row has ${row.length} values for ${this.columns.length} columns`);
        for (const value of row) parameters.push(value);
      }
      const result = await db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(this.statement(dialect, part.length), parameters),
      );
      for (const row of result.rows) out.push(row);
    }
    return out;
  }

  private statement(dialect: DialectName, rows: number): string {
    const key = `${dialect}:${rows}`;
    let text = this.statements.get(key);
    if (text === undefined) {
      const width = this.columns.length;
      const tuples: string[] = [];
      for (let r = 0; r < rows; r++) {
        const marks = this.columns.map((_, c) => (dialect === 'postgres' ? `$${r * width + c + 1}` : '?'));
        tuples.push(`(${marks.join(',')})`);
      }
      text =
        `insert into "${this.table}" (${this.columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(',')}` +
        (this.options.onConflict === 'nothing' ? ' on conflict do nothing' : '') +
        (this.options.returning === undefined ? '' : ` returning "${this.options.returning}"`);
      this.statements.set(key, text);
    }
    return text;
  }
}
