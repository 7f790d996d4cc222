// Data jobs: the hourly metrics rollup, a flaky warehouse sync (slow steps, the most failures and
// timeouts) and a retired CSV import kept to show an inactive workflow.
import { shortId } from "./fake.ts";
import { get, type WorkflowProfile } from "./workflow-profile.ts";

export const metricsRollup: WorkflowProfile = {
  name: "metrics-rollup",
  description: "Every hour: pulls order, sign-up and billing metrics, publishes the KPI board and archives a snapshot.",
  weight: 14,
  triggers: { SCHEDULE: 9, MANUAL: 1 },
  versions: [
    {
      daysAgo: 39,
      definition: {
        timeoutMs: 180_000,
        retry: { maxAttempts: 2, backoffMs: 5000 },
        steps: [
          {
            id: "fetch-orders",
            type: "http",
            config: get("https://orders.internal/v1/metrics?end={{input.windowEnd}}"),
          },
          {
            id: "fetch-signups",
            type: "http",
            config: get("https://accounts.internal/v1/metrics?end={{input.windowEnd}}"),
          },
          {
            id: "fetch-billing",
            type: "http",
            // Billing computes revenue on request, which can take minutes at month end.
            config: { ...get("https://billing.internal/v1/metrics?end={{input.windowEnd}}"), timeoutMs: 180_000 },
          },
          {
            id: "aggregate",
            name: "Aggregate KPIs",
            type: "transform",
            dependsOn: ["fetch-orders", "fetch-signups", "fetch-billing"],
            config: {
              output: {
                windowEnd: "{{input.windowEnd}}",
                orders: "{{steps.fetch-orders.output.body.count}}",
                signups: "{{steps.fetch-signups.output.body.count}}",
                revenue: "{{steps.fetch-billing.output.body.revenue}}",
              },
            },
          },
          {
            id: "publish-dashboard",
            name: "Publish KPI board",
            type: "http",
            dependsOn: ["aggregate"],
            config: {
              method: "PUT",
              url: "https://dashboards.internal/v1/panels/kpi-hourly",
              body: "{{steps.aggregate.output}}",
            },
          },
          {
            id: "email-digest",
            name: "Email the daily digest",
            type: "email",
            dependsOn: ["aggregate"],
            when: { logic: "AND", rules: [{ field: "input.sendDigest", operator: "equals", value: true }] },
            config: {
              to: "leadership@acme.example",
              subject: "KPIs up to {{input.windowEnd}}: {{steps.aggregate.output.orders}} orders",
              text: "Sign-ups: {{steps.aggregate.output.signups}}. Revenue: {{steps.aggregate.output.revenue}}.",
            },
          },
          {
            id: "archive-snapshot",
            name: "Archive snapshot",
            type: "http",
            dependsOn: ["aggregate"],
            critical: false,
            config: {
              method: "PUT",
              url: "https://storage.internal/metrics/{{input.windowEnd}}.json",
              body: "{{steps.aggregate.output}}",
            },
          },
          {
            id: "log-rollup",
            type: "log",
            dependsOn: ["publish-dashboard", "email-digest"],
            config: { level: "INFO", message: "KPI board updated for {{input.windowEnd}}" },
          },
        ],
      },
    },
  ],
  input: (_rng, createdAt) => {
    const hour = new Date(createdAt);
    hour.setUTCMinutes(0, 0, 0);
    // The digest goes out with the 07:00 UTC rollup only.
    return { windowEnd: hour.toISOString(), sendDigest: hour.getUTCHours() === 7 };
  },
  outputs: {
    "fetch-orders": ({ rng }) => ({ status: 200, body: { count: rng.int(20, 400) } }),
    "fetch-signups": ({ rng }) => ({ status: 200, body: { count: rng.int(5, 120) } }),
    "fetch-billing": ({ rng }) => ({ status: 200, body: { revenue: rng.int(2_000, 60_000) } }),
  },
  latencyMs: { "fetch-orders": 700, "fetch-signups": 400, "fetch-billing": 1100 },
};

export const warehouseSync: WorkflowProfile = {
  name: "warehouse-sync",
  description: "Exports customers and orders, loads them into the analytics warehouse and refreshes its views.",
  weight: 12,
  triggers: { API: 6, SCHEDULE: 3, MANUAL: 1 },
  idempotencyPrefix: "sync",
  failureFactor: 2.5,
  versions: [
    {
      daysAgo: 36,
      definition: {
        timeoutMs: 60_000,
        retry: { maxAttempts: 3, backoffMs: 2000, factor: 3 },
        steps: [
          {
            id: "extract-customers",
            type: "http",
            config: get("https://crm.internal/v1/export/customers?since={{input.since}}"),
          },
          {
            id: "extract-orders",
            type: "http",
            config: get("https://orders.internal/v1/export?since={{input.since}}"),
          },
          {
            id: "transform-records",
            type: "transform",
            dependsOn: ["extract-customers", "extract-orders"],
            config: {
              output: {
                syncId: "{{input.syncId}}",
                customers: "{{steps.extract-customers.output.body.count}}",
                orders: "{{steps.extract-orders.output.body.count}}",
              },
            },
          },
          {
            id: "load-warehouse",
            type: "http",
            dependsOn: ["transform-records"],
            retry: { maxAttempts: 4, backoffMs: 3000, factor: 2 },
            config: {
              method: "POST",
              url: "https://warehouse.example.com/api/v1/bulk-load",
              timeoutMs: 120_000,
              body: {
                table: "fact_orders",
                syncId: "{{input.syncId}}",
                rows: "{{steps.transform-records.output.orders}}",
              },
            },
          },
          {
            id: "refresh-views",
            type: "http",
            dependsOn: ["load-warehouse"],
            config: {
              method: "POST",
              url: "https://warehouse.example.com/api/v1/refresh",
              body: { views: ["daily_revenue", "customer_ltv"] },
            },
          },
          {
            id: "notify-analytics",
            type: "email",
            dependsOn: ["load-warehouse"],
            critical: false,
            config: {
              to: "analytics@acme.example",
              subject: "Sync {{input.syncId}} loaded {{steps.transform-records.output.orders}} orders",
            },
          },
          {
            id: "log-sync",
            type: "log",
            dependsOn: ["refresh-views", "notify-analytics"],
            config: { level: "INFO", message: "Warehouse sync {{input.syncId}} finished" },
          },
        ],
      },
    },
  ],
  input: (rng) => ({ syncId: shortId(rng, "sync"), since: `P${rng.pick([1, 1, 1, 7])}D` }),
  outputs: {
    "extract-customers": ({ rng }) => ({ status: 200, body: { count: rng.int(50, 3_000) } }),
    "extract-orders": ({ rng }) => ({ status: 200, body: { count: rng.int(200, 20_000) } }),
    "load-warehouse": ({ rng }) => ({ status: 200, body: { loaded: true, jobId: shortId(rng, "job") } }),
  },
  errors: {
    "load-warehouse": [
      { code: "HTTP_413" },
      { code: "HTTP_409", detail: '{"error":"a load for this syncId is already running"}' },
    ],
    "extract-orders": [{ code: "HTTP_NETWORK_ERROR", detail: "fetch failed: other side closed (read ECONNRESET)" }],
  },
  latencyMs: {
    "extract-customers": 2500,
    "extract-orders": 4000,
    "load-warehouse": 6000,
    "refresh-views": 1500,
    "transform-records": 60,
  },
};

export const legacyCsvImport: WorkflowProfile = {
  name: "legacy-csv-import",
  description: "Retired: imported contacts from the nightly CSV drop before the CRM sync replaced it.",
  weight: 4,
  deactivatedDaysAgo: 19,
  triggers: { SCHEDULE: 4, MANUAL: 1 },
  versions: [
    {
      daysAgo: 40,
      definition: {
        timeoutMs: 120_000,
        steps: [
          { id: "download-file", type: "http", config: { ...get("{{input.fileUrl}}"), timeoutMs: 120_000 } },
          {
            id: "parse-csv",
            type: "transform",
            dependsOn: ["download-file"],
            config: { output: { rows: "{{steps.download-file.output.body.rows}}", delimiter: ";" } },
          },
          {
            id: "upsert-contacts",
            type: "http",
            dependsOn: ["parse-csv"],
            config: {
              method: "POST",
              url: "https://crm.internal/v1/contacts/bulk",
              body: { rows: "{{steps.parse-csv.output.rows}}" },
            },
          },
          {
            id: "log-import",
            type: "log",
            dependsOn: ["upsert-contacts"],
            config: { level: "INFO", message: "Imported {{steps.parse-csv.output.rows}} rows" },
          },
        ],
      },
    },
  ],
  input: (rng) => ({ fileUrl: `https://sftp.partner.example/drop/contacts-${rng.int(1000, 9999)}.csv` }),
  outputs: { "download-file": ({ rng }) => ({ status: 200, body: { rows: rng.int(100, 4000) } }) },
  latencyMs: { "download-file": 1800, "upsert-contacts": 2400 },
};
