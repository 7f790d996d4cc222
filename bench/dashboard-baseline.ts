// Child process: the floor the dashboard benchmark compares the app with. A bare node:http server
// on a pg pool answers every POST with the response body of DASHBOARD_QUERY, built by ONE
// hand-written SQL statement (no GraphQL, no Prisma, no JSON.parse: PostgreSQL writes the text).
// It answers until told { type: "stop" }.
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { serveChild } from "./child.ts";

export type BaselineRequest = { databaseUrl: string; tenantId: string; poolSize: number };
export type BaselineListening = { type: "listening"; url: string };
export type BaselineDone = { type: "done"; requests: number; cpuMs: number };

/** The same page as DASHBOARD_QUERY: 50 newest executions, each with workflow, progress and 10 steps. */
export const BASELINE_SQL = `/* bench:dashboard-baseline */
SELECT json_build_object('data', json_build_object('executions', json_build_object('edges', coalesce(json_agg(
  json_build_object('node', json_build_object(
    'id', translate(rtrim(encode(convert_to('Execution:' || p.id, 'UTF8'), 'base64'), '='), '+/', '-_'),
    'status', p.status,
    'createdAt', to_char(p."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'durationMs', p."durationMs",
    'workflow', json_build_object('name', w.name),
    'progress', json_build_object('totalSteps', pr.total, 'completedSteps', pr.completed, 'failedSteps', pr.failed,
      'percent', CASE WHEN pr.total = 0 THEN 0 ELSE round(pr.terminal * 10000.0 / pr.total) / 100 END),
    'steps', json_build_object('edges', st.edges)))
  ORDER BY p."createdAt" DESC, p.id DESC), '[]'::json))))::text AS body
FROM (SELECT id, "workflowId", status, "createdAt", "durationMs" FROM "Execution" WHERE "tenantId" = $1::uuid
      ORDER BY "createdAt" DESC, id DESC LIMIT 50) p
JOIN "Workflow" w ON w.id = p."workflowId" AND w."tenantId" = $1::uuid
CROSS JOIN LATERAL (
  SELECT count(*) AS total, count(*) FILTER (WHERE s.status = 'COMPLETED') AS completed,
    count(*) FILTER (WHERE s.status = 'FAILED') AS failed,
    count(*) FILTER (WHERE s.status IN ('COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED')) AS terminal
  FROM "Step" s WHERE s."executionId" = p.id AND s."tenantId" = $1::uuid) pr
CROSS JOIN LATERAL (
  SELECT coalesce(json_agg(json_build_object('node', json_build_object('key', s.key, 'status', s.status,
    'durationMs', s."durationMs")) ORDER BY s.index), '[]'::json) AS edges
  FROM (SELECT key, status, "durationMs", index FROM "Step" WHERE "executionId" = p.id AND "tenantId" = $1::uuid
        ORDER BY index LIMIT 10) s) st`;

serveChild<BaselineRequest>(async (req, send, receive) => {
  const pool = new pg.Pool({
    connectionString: req.databaseUrl,
    max: req.poolSize,
    application_name: "bench-baseline",
  });
  pool.on("error", () => {});
  let requests = 0;
  const server = http.createServer((request, response) => {
    // The body is read (as a server must) and not parsed: there is one query to answer.
    request.resume();
    request.on("end", () => {
      pool.query<{ body: string }>({ name: "dashboard-baseline", text: BASELINE_SQL, values: [req.tenantId] }).then(
        (result) => {
          requests += 1;
          response.writeHead(200, { "content-type": "application/graphql-response+json; charset=utf-8" });
          response.end(result.rows[0]?.body);
        },
        (error: unknown) => {
          response.writeHead(500, { "content-type": "application/json" });
          response.end(JSON.stringify({ errors: [{ message: String(error) }] }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const cpu = process.cpuUsage();
  send({ type: "listening", url: `http://127.0.0.1:${port}/graphql` } satisfies BaselineListening);
  await receive("stop");
  const used = process.cpuUsage(cpu);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await pool.end();
  return { type: "done", requests, cpuMs: (used.user + used.system) / 1000 } satisfies BaselineDone;
});
