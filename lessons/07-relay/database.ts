/**
 * The database inside the firewall, and the only things the outside may ask of it.
 *
 * The relay is public: whatever reaches the agent may come from anyone who got hold of an API
 * key, or from a relay that was broken into. So the agent never runs SQL it is sent. It runs
 * only the **named queries** below, which it defines itself, each with its SQL written here
 * and its parameters checked before they go in as `?` values.
 *
 * @module
 */
import initSqlJs, { type Database, type SqlValue } from 'sql.js';

export interface DemoDatabase {
  readonly db: Database;
  close(): void;
}

/** What running a named query gives: a result, or a refusal that travels back to the caller. */
export type QueryOutcome = { status: 200; result: unknown } | { status: 400; error: string };

const SCHEMA = `
  CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
                       item TEXT NOT NULL, quantity INTEGER NOT NULL, placed_at TEXT NOT NULL);
  CREATE TABLE notes (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
                      text TEXT NOT NULL, created_at INTEGER NOT NULL);
`;

const CUSTOMERS: Array<[number, string, string]> = [
  [1, 'Ada Lovelace', 'London'],
  [2, 'Lin Hui', 'Shanghai'],
  [3, 'Grace Hopper', 'New York'],
  [4, 'Wang Fang', 'Beijing'],
  [5, 'Alan Turing', 'Manchester'],
];

const ORDERS: Array<[number, number, string, number, string]> = [
  [1, 1, 'notebook', 2, '2026-01-04'],
  [2, 1, 'ink', 5, '2026-02-11'],
  [3, 1, 'lamp', 1, '2026-03-20'],
  [4, 2, 'tea', 3, '2026-01-15'],
  [5, 2, 'teapot', 1, '2026-02-02'],
  [6, 2, 'cups', 6, '2026-04-09'],
  [7, 3, 'compiler manual', 1, '2026-01-30'],
  [8, 3, 'punched cards', 500, '2026-02-28'],
  [9, 3, 'moth trap', 2, '2026-05-01'],
  [10, 4, 'brush', 4, '2026-03-03'],
  [11, 4, 'rice paper', 100, '2026-03-17'],
  [12, 4, 'ink stone', 1, '2026-06-06'],
];

/** A fresh in-memory database with the demo tables and rows (the same every time). */
export async function openDemoDatabase(): Promise<DemoDatabase> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.exec('PRAGMA foreign_keys = ON;');
  db.exec(SCHEMA);
  for (const row of CUSTOMERS) db.run('INSERT INTO customers (id, name, city) VALUES (?, ?, ?)', row);
  for (const row of ORDERS) db.run('INSERT INTO orders (id, customer_id, item, quantity, placed_at) VALUES (?, ?, ?, ?, ?)', row);
  return { db, close: () => db.close() };
}

// ---------------------------------------------------------------------------------------
// Checking parameters. Each check returns the value, or throws a Refusal that says what is wrong.

class Refusal extends Error {}

const MAX_ID = 2 ** 31 - 1;

/** Only the listed keys, and nothing else: an unexpected key is a mistake worth hearing about. */
function onlyKeys(params: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new Refusal('"params" must be an object.');
  const extra = Object.keys(params).filter((key) => !allowed.includes(key));
  if (extra.length > 0) throw new Refusal(`unexpected parameter "${extra[0]}"; this query takes ${allowed.map((k) => `"${k}"`).join(', ')}.`);
  return params as Record<string, unknown>;
}

function integer(params: Record<string, unknown>, key: string, min: number, max: number): number {
  // TODO 1: a value from outside is checked before it goes near the database: a whole number
  //   from min to max, or a Refusal that names the parameter and says what it must be
  //   ("\"id\" must be a whole number from 1 to 2147483647."). "1", 1.5, -3, null: refused.
  void min;
  void max;
  return params[key] as number;
}

function text(params: Record<string, unknown>, key: string, maxLength: number): string {
  // TODO 1 (continued): text of 1 to maxLength characters (count code points: [...value].length),
  //   not only whitespace (value.trim() === '' is refused); anything else a Refusal naming the
  //   parameter ("\"text\" must be text of 1 to 500 characters, not only spaces.").
  void maxLength;
  return params[key] as string;
}

// ---------------------------------------------------------------------------------------
// The named queries: the agent's whole allow-list.

type NamedQuery = (db: Database, params: unknown) => unknown;

function all(db: Database, sql: string, values: SqlValue[]): Array<Record<string, SqlValue>> {
  const statement = db.prepare(sql);
  try {
    statement.bind(values);
    const rows: Array<Record<string, SqlValue>> = [];
    while (statement.step()) rows.push(statement.getAsObject());
    return rows;
  } finally {
    statement.free();
  }
}

const QUERIES: Readonly<Record<string, NamedQuery>> = {
  customerById(db, raw) {
    const params = onlyKeys(raw, ['id']);
    const id = integer(params, 'id', 1, MAX_ID);
    return { customer: all(db, 'SELECT id, name, city FROM customers WHERE id = ?', [id])[0] ?? null };
  },

  ordersByCustomer(db, raw) {
    const params = onlyKeys(raw, ['customerId', 'limit']);
    const customerId = integer(params, 'customerId', 1, MAX_ID);
    const limit = params.limit === undefined ? 20 : integer(params, 'limit', 1, 100);
    const sql = 'SELECT id, item, quantity, placed_at AS placedAt FROM orders WHERE customer_id = ? ORDER BY placed_at DESC, id DESC LIMIT ?';
    return { orders: all(db, sql, [customerId, limit]) };
  },

  searchCustomers(db, raw) {
    const params = onlyKeys(raw, ['prefix']);
    const prefix = text(params, 'prefix', 40);
    // % and _ are wildcards in LIKE: escape them, so that they match only themselves.
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return { customers: all(db, "SELECT id, name, city FROM customers WHERE name LIKE ? ESCAPE '\\' ORDER BY id", [pattern]) };
  },

  addNote(db, raw) {
    const params = onlyKeys(raw, ['customerId', 'text']);
    const customerId = integer(params, 'customerId', 1, MAX_ID);
    const noteText = text(params, 'text', 500);
    // TODO 2: the one write. A note for a customer that does not exist is a Refusal ("there is
    //   no customer 9."). Otherwise INSERT INTO notes (customer_id, text, created_at) with every
    //   value as a ? parameter — never pasted into the SQL — and answer
    //   { note: { id, customerId, text, createdAt } } (createdAt: Date.now(), milliseconds;
    //   the id: SELECT last_insert_rowid()).
    void customerId;
    void noteText;
    throw new Refusal('addNote is not written yet (database.ts TODO 2).');
  },

  countNotes(db, raw) {
    const params = onlyKeys(raw, ['customerId']);
    const customerId = integer(params, 'customerId', 1, MAX_ID);
    return { count: all(db, 'SELECT COUNT(*) AS count FROM notes WHERE customer_id = ?', [customerId])[0]!.count };
  },
};

/** The names of the queries the agent runs, and no others. */
export const NAMED_QUERIES: readonly string[] = Object.keys(QUERIES);

/**
 * Runs the named query `query` with `params`, or refuses. Never runs SQL it is sent: anything
 * that is not one of NAMED_QUERIES — raw SQL, an unknown name, `toString` — is refused.
 */
export function runNamedQuery(database: DemoDatabase, query: unknown, params: unknown): QueryOutcome {
  // TODO 3: the allow-list. Only a string that is one of QUERIES' own names is run
  //   (Object.hasOwn): anything else — raw SQL, an unknown name, "toString" or "__proto__"
  //   (every object has those) — is { status: 400, error: "unknown query …: this agent runs
  //   only customerById, …" }. A known one runs QUERIES[query](database.db, params); a Refusal
  //   it throws becomes { status: 400, error: "<query>: <the refusal's message>" }, and any
  //   other error is thrown on (the agent answers it 500). For now nothing is run.
  void database;
  void query;
  void params;
  return { status: 400, error: 'runNamedQuery is not written yet (database.ts TODO 3).' };
}
