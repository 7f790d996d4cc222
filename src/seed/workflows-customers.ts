// Account workflows: onboarding a sign-up (two versions: profile enrichment was added 10 days ago),
// the invoice reminder job, whose `when` branches pick between reminding and logging, and the trial
// follow-up, which calls nothing outside Stepstream: the seed leaves runs of it queued and asleep
// for the worker to finish.
import { person, shortId } from "./fake.ts";
import type { StepDefinitionInput, WorkflowProfile } from "./workflow-profile.ts";

const onboardingSteps = (enrich: boolean): StepDefinitionInput[] => [
  {
    id: "create-profile",
    name: "Create CRM contact",
    type: "http",
    config: {
      method: "POST",
      url: "https://crm.internal/v1/contacts",
      body: { email: "{{input.email}}", name: "{{input.firstName}} {{input.lastName}}", plan: "{{input.plan}}" },
    },
  },
  ...(enrich
    ? [
        {
          id: "enrich-profile",
          name: "Enrich profile",
          type: "http",
          dependsOn: ["create-profile"],
          // Nice to have: a slow enrichment API must not hold up or fail the onboarding.
          critical: false,
          timeoutMs: 3000,
          config: { method: "GET", url: "https://api.enrichment.example.com/v2/person?email={{input.email}}" },
        },
      ]
    : []),
  {
    id: "send-welcome-email",
    name: "Send welcome email",
    type: "email",
    dependsOn: ["create-profile"],
    config: {
      to: "{{input.email}}",
      subject: "Welcome aboard, {{input.firstName}}!",
      text: "Hi {{input.firstName}}, your {{input.plan}} workspace is being set up.",
    },
  },
  {
    id: "provision-workspace",
    name: "Provision workspace",
    type: "http",
    dependsOn: ["create-profile"],
    config: {
      method: "POST",
      url: "https://provisioner.internal/v1/workspaces",
      body: {
        ownerId: "{{steps.create-profile.output.body.contactId}}",
        plan: "{{input.plan}}",
        region: "{{input.region}}",
      },
    },
  },
  {
    id: "notify-sales",
    name: "Tell sales about a big account",
    type: "http",
    dependsOn: ["create-profile"],
    critical: false,
    when: {
      logic: "OR",
      rules: [
        { field: "input.plan", operator: "equals", value: "enterprise" },
        { field: "input.seats", operator: "greater_than", value: 50 },
      ],
    },
    config: {
      method: "POST",
      url: "https://hooks.slack.example.com/services/T024F/B07SALES",
      body: { text: "New {{input.plan}} sign-up: {{input.company}} ({{input.seats}} seats)" },
    },
  },
  {
    id: "wait-for-provisioning",
    name: "Wait for provisioning",
    type: "delay",
    dependsOn: ["provision-workspace"],
    config: { ms: enrich ? 3000 : 5000 },
  },
  {
    id: "verify-workspace",
    name: "Verify workspace",
    type: "http",
    dependsOn: ["wait-for-provisioning"],
    config: {
      method: "GET",
      url: "https://provisioner.internal/v1/workspaces/{{steps.provision-workspace.output.body.workspaceId}}",
    },
  },
  {
    id: "log-onboarded",
    name: "Log onboarding",
    type: "log",
    dependsOn: ["send-welcome-email", "verify-workspace", "notify-sales"],
    config: { level: "INFO", message: "Onboarded {{input.email}} on the {{input.plan}} plan" },
  },
];

export const userOnboarding: WorkflowProfile = {
  name: "user-onboarding",
  description: "Creates the CRM contact, workspace and welcome email for every new sign-up.",
  weight: 20,
  triggers: { EVENT: 8, API: 1, MANUAL: 1 },
  triggerEvent: "user.signed_up",
  idempotencyPrefix: "signup",
  versions: [
    {
      daysAgo: 40,
      definition: {
        timeoutMs: 300_000,
        retry: { maxAttempts: 3, backoffMs: 2000 },
        trigger: { conditions: { logic: "AND", rules: [{ field: "email", operator: "is_not_empty" }] } },
        steps: onboardingSteps(false),
      },
    },
    {
      daysAgo: 10,
      definition: {
        timeoutMs: 300_000,
        retry: { maxAttempts: 3, backoffMs: 2000 },
        trigger: { conditions: { logic: "AND", rules: [{ field: "email", operator: "is_not_empty" }] } },
        steps: onboardingSteps(true),
      },
    },
  ],
  input(rng) {
    const p = person(rng);
    const plan = rng.weighted({ free: 6, team: 3, enterprise: 1 });
    const seats = plan === "free" ? 1 : plan === "team" ? rng.int(3, 60) : rng.int(50, 800);
    return { ...p, plan, seats, region: rng.pick(["eu-west-1", "us-east-1", "ap-northeast-1"]) };
  },
  outputs: {
    "create-profile": ({ rng }) => ({ status: 201, body: { contactId: shortId(rng, "ctc") } }),
    "enrich-profile": ({ rng }) => ({
      status: 200,
      body: { title: rng.pick(["CTO", "Engineer", "Head of Ops", "Founder"]), employees: rng.int(5, 5000) },
    }),
    "provision-workspace": ({ rng }) => ({ status: 202, body: { workspaceId: shortId(rng, "ws"), state: "creating" } }),
    "verify-workspace": () => ({ status: 200, body: { state: "ready" } }),
  },
  errors: {
    "provision-workspace": [
      { code: "HTTP_429", detail: '{"error":"workspace quota exceeded"}' },
    ],
    "verify-workspace": [{ code: "HTTP_409", detail: '{"state":"creating"}' }],
  },
  latencyMs: { "provision-workspace": 1200, "enrich-profile": 900 },
};

export const invoiceReminders: WorkflowProfile = {
  name: "invoice-reminders",
  description: "Finds overdue invoices, reminds the customers and escalates the oldest to collections.",
  weight: 10,
  triggers: { SCHEDULE: 7, API: 2, MANUAL: 1 },
  versions: [
    {
      daysAgo: 38,
      definition: {
        timeoutMs: 120_000,
        steps: [
          {
            id: "fetch-overdue",
            name: "Fetch overdue invoices",
            type: "http",
            retry: { maxAttempts: 3, backoffMs: 1500, factor: 2 },
            config: {
              method: "GET",
              url: "https://billing.internal/v1/invoices?status=overdue&olderThanDays={{input.olderThanDays}}",
              // The overdue report is a slow query; it is given as long as the whole run.
              timeoutMs: 120_000,
            },
          },
          {
            id: "send-reminders",
            name: "Send reminders",
            type: "email",
            dependsOn: ["fetch-overdue"],
            when: {
              logic: "AND",
              rules: [{ field: "steps.fetch-overdue.output.body.count", operator: ">", value: 0 }],
            },
            config: {
              // The email action has no bcc: the overdue contacts are the recipients, sent from billing.
              to: "{{steps.fetch-overdue.output.body.contacts}}",
              from: "Acme Billing <billing-notices@acme.example>",
              subject: "Reminder: your invoice is overdue",
              text: "An invoice of yours is more than {{input.olderThanDays}} days overdue.",
            },
          },
          {
            id: "log-nothing-due",
            name: "Log that nothing is due",
            type: "log",
            dependsOn: ["fetch-overdue"],
            when: {
              logic: "AND",
              rules: [{ field: "steps.fetch-overdue.output.body.count", operator: "==", value: 0 }],
            },
            config: { level: "INFO", message: "No invoices overdue by more than {{input.olderThanDays}} days" },
          },
          {
            id: "escalate-to-collections",
            name: "Escalate to collections",
            type: "http",
            dependsOn: ["fetch-overdue"],
            critical: false,
            when: {
              logic: "AND",
              rules: [{ field: "steps.fetch-overdue.output.body.maxDaysOverdue", operator: "greater_than", value: 60 }],
            },
            config: {
              method: "POST",
              url: "https://collections.example.com/api/cases",
              body: { invoices: "{{steps.fetch-overdue.output.body.invoiceIds}}" },
            },
          },
          {
            id: "record-run",
            name: "Record run",
            type: "http",
            dependsOn: ["send-reminders", "log-nothing-due", "escalate-to-collections"],
            config: {
              method: "POST",
              url: "https://billing.internal/v1/audit",
              body: { job: "invoice-reminders", reminded: "{{steps.fetch-overdue.output.body.count}}" },
            },
          },
        ],
      },
    },
  ],
  input: (rng) => ({ olderThanDays: rng.pick([7, 14, 30]), dryRun: false }),
  outputs: {
    "fetch-overdue": ({ rng }) => {
      const count = rng.chance(0.25) ? 0 : rng.int(1, 14);
      return {
        status: 200,
        body: {
          count,
          maxDaysOverdue: count === 0 ? 0 : rng.int(8, 95),
          invoiceIds: Array.from({ length: count }, () => shortId(rng, "in")),
          contacts: Array.from({ length: count }, () => person(rng).email),
        },
      };
    },
  },
  errors: {
    "send-reminders": [
      { code: "EMAIL_SEND_FAILED", detail: "450 4.7.1 Rate limit: 100 messages per minute exceeded" },
    ],
  },
};

export const trialFollowUp: WorkflowProfile = {
  name: "trial-follow-up",
  description: "Ten minutes after a trial starts, emails the new user a getting-started guide.",
  weight: 6,
  triggers: { EVENT: 9, MANUAL: 1 },
  triggerEvent: "trial.started",
  idempotencyPrefix: "trial",
  versions: [
    {
      daysAgo: 12,
      definition: {
        timeoutMs: 900_000,
        // A guide that arrives an hour late is worse than none: the run is not retried.
        retry: { maxAttempts: 1, backoffMs: 0 },
        steps: [
          {
            id: "compose-guide",
            name: "Compose the guide",
            type: "transform",
            config: {
              output: {
                to: "{{input.email}}",
                subject: "Getting started with your {{input.plan}} trial",
                firstName: "{{input.firstName}}",
              },
            },
          },
          {
            id: "wait-ten-minutes",
            name: "Wait ten minutes",
            type: "delay",
            dependsOn: ["compose-guide"],
            config: { ms: 600_000 },
          },
          {
            id: "send-guide",
            name: "Email the guide",
            type: "email",
            dependsOn: ["wait-ten-minutes"],
            retry: { maxAttempts: 3, backoffMs: 30_000 },
            config: {
              to: "{{steps.compose-guide.output.to}}",
              subject: "{{steps.compose-guide.output.subject}}",
              text: "Hi {{steps.compose-guide.output.firstName}}, try a workflow, a run and a retry first.",
            },
          },
          {
            id: "log-sent",
            type: "log",
            dependsOn: ["send-guide"],
            config: { level: "INFO", message: "Sent the getting-started guide to {{input.email}}" },
          },
        ],
      },
    },
  ],
  input(rng) {
    return { ...person(rng), plan: rng.weighted({ team: 3, enterprise: 1 }) };
  },
};
