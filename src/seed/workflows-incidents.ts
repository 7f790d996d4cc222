// Operations workflows: paging on-call for an alert, and a smoke test whose `fail` step trips
// when a health check answers badly.
import { alertTitle, service, shortId } from "./fake.ts";
import { get, type WorkflowProfile } from "./workflow-profile.ts";

export const incidentEscalation: WorkflowProfile = {
  name: "incident-escalation",
  description: "Opens an incident for a critical or high alert, pages on-call and checks the page was acknowledged.",
  weight: 8,
  triggers: { EVENT: 17, MANUAL: 3 },
  triggerEvent: "alert.fired",
  versions: [
    {
      daysAgo: 35,
      definition: {
        timeoutMs: 300_000,
        trigger: {
          conditions: {
            logic: "OR",
            rules: [
              { field: "severity", operator: "in", value: ["critical", "high"] },
              { field: "tags", operator: "contains", value: "page" },
            ],
          },
        },
        steps: [
          {
            id: "open-incident",
            type: "http",
            retry: { maxAttempts: 5, backoffMs: 1000, factor: 2 },
            config: {
              method: "POST",
              url: "https://api.pager.example.com/incidents",
              body: { title: "{{input.title}}", service: "{{input.service}}", urgency: "high" },
            },
          },
          {
            id: "page-oncall",
            type: "http",
            dependsOn: ["open-incident"],
            config: {
              method: "POST",
              url: "https://api.pager.example.com/incidents/{{steps.open-incident.output.body.incidentId}}/page",
            },
          },
          {
            id: "post-to-slack",
            type: "http",
            dependsOn: ["open-incident"],
            critical: false,
            config: {
              method: "POST",
              url: "https://hooks.slack.example.com/services/T024F/B07INCIDENTS",
              body: { text: ":rotating_light: {{input.severity}}: {{input.title}} on {{input.service}}" },
            },
          },
          {
            id: "email-executives",
            type: "email",
            dependsOn: ["open-incident"],
            when: { logic: "AND", rules: [{ field: "input.severity", operator: "equals", value: "critical" }] },
            config: {
              to: "execs@acme.example",
              subject: "[SEV1] {{input.title}}",
              text: "{{input.title}} on {{input.service}}: the on-call engineer has been paged.",
            },
          },
          { id: "wait-for-ack", type: "delay", dependsOn: ["page-oncall"], config: { ms: 15_000 } },
          {
            id: "check-ack",
            type: "http",
            dependsOn: ["wait-for-ack"],
            config: get("https://api.pager.example.com/incidents/{{steps.open-incident.output.body.incidentId}}"),
          },
          {
            id: "log-escalation",
            type: "log",
            dependsOn: ["check-ack", "post-to-slack", "email-executives"],
            config: {
              level: "WARN",
              message: "Incident {{steps.open-incident.output.body.incidentId}} on {{input.service}} acknowledged",
            },
          },
        ],
      },
    },
  ],
  input: (rng) => ({
    alertId: shortId(rng, "alr"),
    severity: rng.weighted({ high: 3, critical: 1 }),
    service: service(rng),
    title: alertTitle(rng),
    tags: rng.chance(0.3) ? ["page", "prod"] : ["prod"],
  }),
  outputs: {
    "open-incident": ({ rng }) => ({ status: 201, body: { incidentId: `INC-${rng.int(1000, 9999)}` } }),
    "check-ack": ({ rng }) => ({
      status: 200,
      body: { acknowledged: true, by: rng.pick(["ada", "omar", "keiko", "luca"]) },
    }),
  },
};

export const smokeTest: WorkflowProfile = {
  name: "smoke-test",
  description: "Pings the public API, GraphQL endpoint and payments health check; fails loudly if any is unhealthy.",
  weight: 8,
  triggers: { SCHEDULE: 6, MANUAL: 3, API: 1 },
  versions: [
    {
      daysAgo: 33,
      definition: {
        timeoutMs: 30_000,
        steps: [
          { id: "ping-api", type: "http", timeoutMs: 5000, config: get("https://{{input.host}}/healthz") },
          {
            id: "ping-graphql",
            type: "http",
            timeoutMs: 5000,
            config: { method: "POST", url: "https://{{input.host}}/graphql", body: { query: "{ __typename }" } },
          },
          { id: "ping-payments", type: "http", timeoutMs: 5000, config: get("https://payments.internal/healthz") },
          {
            id: "assert-healthy",
            name: "Fail if unhealthy",
            type: "fail",
            dependsOn: ["ping-api", "ping-graphql", "ping-payments"],
            when: {
              logic: "OR",
              // An unreachable or failing endpoint fails its ping step; a degraded one answers 200.
              rules: [
                { field: "steps.ping-api.output.body.status", operator: "not_equals", value: "ok" },
                { field: "steps.ping-graphql.output.body.status", operator: "not_equals", value: "ok" },
                { field: "steps.ping-payments.output.body.status", operator: "not_equals", value: "ok" },
              ],
            },
            config: { code: "SMOKE_TEST_FAILED", message: "An endpoint on {{input.host}} is unhealthy" },
          },
          {
            id: "report",
            type: "log",
            // Not only assert-healthy: a step whose dependencies were all skipped is skipped too.
            dependsOn: ["ping-api", "ping-graphql", "ping-payments", "assert-healthy"],
            config: { level: "INFO", message: "All endpoints on {{input.host}} healthy" },
          },
        ],
      },
    },
  ],
  input: (rng) => ({ host: rng.weighted({ "api.acme.example": 3, "staging.acme.example": 1 }) }),
  outputs: {
    // A run heading for failure usually gets there through a bad health check, tripping assert-healthy.
    "ping-api": ({ rng, degraded }) => health(degraded && rng.chance(0.5)),
    "ping-graphql": ({ rng, degraded }) => health(degraded && rng.chance(0.3)),
    "ping-payments": () => health(false),
  },
  latencyMs: { "ping-api": 60, "ping-graphql": 90, "ping-payments": 45 },
};

/** What a health endpoint answers: 200 either way, saying whether it is degraded. */
function health(degraded: boolean) {
  return { status: 200, body: { status: degraded ? "degraded" : "ok" } };
}
