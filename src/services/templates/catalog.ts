// The public templates Stepstream ships: real workflows people start from (modelled on the seed's
// demo workflows), synced into WorkflowTemplate at start by slug. Each definition must pass the
// checks createWorkflow runs (test/unit/template-catalog.test.ts).
import type { WorkflowDefinitionInput } from "../../engine/definition.ts";

export type PublicTemplate = Readonly<{
  slug: string;
  name: string;
  description: string;
  category: string;
  tags: readonly string[];
  definition: WorkflowDefinitionInput;
}>;

export const PUBLIC_TEMPLATES: readonly PublicTemplate[] = [
  {
    slug: "order-fulfillment",
    name: "Order fulfillment",
    description:
      "Charges a paid order and reserves its stock in parallel, then emails the receipt; big orders are logged for review.",
    category: "e-commerce",
    tags: ["orders", "payments", "email", "event"],
    definition: {
      timeoutMs: 600_000,
      trigger: {
        event: "order_paid",
        conditions: { logic: "AND", rules: [{ field: "total", operator: "greater_than", value: 0 }] },
      },
      steps: [
        {
          id: "charge-payment",
          name: "Charge payment",
          type: "http",
          retry: { maxAttempts: 4, backoffMs: 1000, factor: 2 },
          timeoutMs: 10_000,
          config: {
            method: "POST",
            url: "https://payments.example/v1/charges",
            headers: { "Idempotency-Key": "charge-{{input.orderId}}" },
            body: { amount: "{{input.total}}", currency: "{{input.currency}}" },
          },
        },
        {
          id: "reserve-inventory",
          name: "Reserve inventory",
          type: "http",
          config: {
            method: "POST",
            url: "https://inventory.example/v1/reservations",
            body: { orderId: "{{input.orderId}}", items: "{{input.items}}" },
          },
        },
        {
          id: "send-receipt",
          name: "Email the receipt",
          type: "email",
          dependsOn: ["charge-payment", "reserve-inventory"],
          config: {
            to: "{{input.email}}",
            subject: "Your order {{input.orderId}}",
            text: "We charged {{input.total}} {{input.currency}}. Thank you!",
          },
        },
        {
          id: "flag-big-order",
          name: "Log a big order",
          type: "log",
          dependsOn: ["charge-payment"],
          critical: false,
          when: { logic: "AND", rules: [{ field: "input.total", operator: ">=", value: 1000 }] },
          config: { message: "big order {{input.orderId}}: {{input.total}}", level: "WARN" },
        },
      ],
    },
  },
  {
    slug: "welcome-email",
    name: "Welcome email",
    description: "Looks a new user up in the CRM and sends them a personal welcome.",
    category: "onboarding",
    tags: ["users", "email", "crm"],
    definition: {
      steps: [
        { id: "lookup", name: "Look the user up", type: "http", config: { url: "https://crm.example/users/{{input.userId}}" } },
        {
          id: "send",
          name: "Send the welcome",
          type: "email",
          dependsOn: ["lookup"],
          config: {
            to: "{{steps.lookup.output.body.email}}",
            subject: "Welcome, {{steps.lookup.output.body.name}}!",
            text: "Glad to have you on board.",
          },
        },
      ],
    },
  },
  {
    slug: "form-follow-up",
    name: "Form submission follow-up",
    description:
      "When a form is submitted: thank the person at once, wait a day, then ask how it went; only for submissions with an email.",
    category: "marketing",
    tags: ["forms", "email", "delay", "event"],
    definition: {
      trigger: {
        event: "submission_completed",
        conditions: { logic: "AND", rules: [{ field: "email", operator: "is_not_empty" }] },
      },
      steps: [
        {
          id: "thank",
          name: "Thank them",
          type: "email",
          config: { to: "{{input.email}}", subject: "Thanks for your submission", text: "We received it." },
        },
        { id: "wait", name: "Wait a day", type: "delay", dependsOn: ["thank"], config: { ms: 86_400_000 } },
        {
          id: "ask",
          name: "Ask for feedback",
          type: "email",
          dependsOn: ["wait"],
          config: { to: "{{input.email}}", subject: "How did it go?", text: "Reply to this email, we read every answer." },
        },
      ],
    },
  },
  {
    slug: "incident-escalation",
    name: "Incident escalation",
    description: "Pages the on-call engineer, waits five minutes, and escalates to the team lead when nobody acknowledged.",
    category: "operations",
    tags: ["incidents", "on-call", "http"],
    definition: {
      timeoutMs: 3_600_000,
      steps: [
        {
          id: "page",
          name: "Page on-call",
          type: "http",
          retry: { maxAttempts: 3, backoffMs: 2000 },
          config: {
            method: "POST",
            url: "https://pager.example/v1/pages",
            body: { service: "{{input.service}}", summary: "{{input.summary}}" },
          },
        },
        { id: "grace", name: "Give them five minutes", type: "delay", dependsOn: ["page"], config: { ms: 300_000 } },
        {
          id: "check",
          name: "Check acknowledgement",
          type: "http",
          dependsOn: ["grace"],
          config: { url: "https://pager.example/v1/pages/{{steps.page.output.body.id}}" },
        },
        {
          id: "escalate",
          name: "Escalate to the lead",
          type: "email",
          dependsOn: ["check"],
          when: { logic: "AND", rules: [{ field: "steps.check.output.body.acknowledged", operator: "equals", value: false }] },
          config: { to: "{{input.leadEmail}}", subject: "Unacknowledged incident on {{input.service}}" },
        },
      ],
    },
  },
  {
    slug: "data-sync",
    name: "Data sync",
    description: "Fetches records from a source API, reshapes them and pushes them to a destination, logging the count.",
    category: "data",
    tags: ["etl", "http", "transform"],
    definition: {
      steps: [
        {
          id: "extract",
          name: "Fetch from the source",
          type: "http",
          timeoutMs: 30_000,
          config: { url: "https://source.example/v1/records?since={{input.since}}" },
        },
        {
          id: "reshape",
          name: "Reshape",
          type: "transform",
          dependsOn: ["extract"],
          config: { output: { records: "{{steps.extract.output.body.records}}", source: "source.example" } },
        },
        {
          id: "load",
          name: "Push to the destination",
          type: "http",
          dependsOn: ["reshape"],
          retry: { maxAttempts: 3, backoffMs: 5000, factor: 2 },
          config: { method: "POST", url: "https://warehouse.example/v1/import", body: "{{steps.reshape.output}}" },
        },
        { id: "report", name: "Log the result", type: "log", dependsOn: ["load"], config: { message: "sync done" } },
      ],
    },
  },
];
