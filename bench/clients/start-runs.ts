// Child process: sends `runs` startExecution mutations at once (each its own request, Node's fetch
// opening connections as needed) and reports each one's latency, so the engine benchmark's app
// process measures the app, not the client that starts the runs.
import { serveChild } from "../child.ts";

export type StartRunsRequest = { url: string; workflowId: string; runs: number };
export type StartRunsDone = { type: "done"; latenciesMs: number[]; failures: string[]; cpuMs: number };

const START_EXECUTION = `mutation BenchStartExecution($input: StartExecutionInput!) {
  startExecution(input: $input) { __typename ... on StartExecutionSuccess { execution { id } } ... on Error { code message } }
}`;

serveChild<StartRunsRequest>(async (req) => {
  const cpu = process.cpuUsage();
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: req.runs }, async (_, n) => {
      const sent = process.hrtime.bigint();
      const res = await fetch(req.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-graphql-yoga-csrf": "1" },
        body: JSON.stringify({ query: START_EXECUTION, variables: { input: { workflowId: req.workflowId, input: { n } } } }),
      });
      const body = (await res.json()) as { data?: { startExecution?: { __typename: string } } };
      latenciesMs.push(Number(process.hrtime.bigint() - sent) / 1e6);
      if (body.data?.startExecution?.__typename !== "StartExecutionSuccess") failures.push(JSON.stringify(body).slice(0, 200));
    }),
  );
  const used = process.cpuUsage(cpu);
  return { type: "done", latenciesMs, failures, cpuMs: (used.user + used.system) / 1000 };
});
