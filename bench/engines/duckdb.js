// Task 5's totals computed by DuckDB over the corpus's JSON files:
// `node engines/duckdb.js <dir>` prints [{service, successes, total}] sorted by service.
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node engines/duckdb.js <dir>');

const quote = (text) => `'${text.replaceAll("'", "''")}'`;
// regexp_extract gives '' when the message has no status: NULLIF makes it NULL, so that
// count(status) counts the events with a status, as the SPEC's `total` does.
const sql = `
SELECT service,
       count(*) FILTER (WHERE status BETWEEN 200 AND 299) AS successes,
       count(status) AS total
FROM (
  SELECT service,
         try_cast(nullif(regexp_extract(message, 'HTTP Status Code:\\s*(\\d{3})', 1), '') AS INTEGER) AS status
  FROM read_json(${quote(`${dir}/*.json`)}, format = 'array',
                 columns = {service: 'VARCHAR', timestamp: 'DOUBLE', message: 'VARCHAR'})
)
GROUP BY service
ORDER BY service`;

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
const rows = reader.getRowObjects().map((row) => ({
  service: row.service,
  successes: Number(row.successes),
  total: Number(row.total),
}));
process.stdout.write(`${JSON.stringify(rows)}\n`);
