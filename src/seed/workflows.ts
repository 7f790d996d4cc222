// Every seeded workflow, in the order they are created.
import type { WorkflowProfile } from "./workflow-profile.ts";
import { invoiceReminders, trialFollowUp, userOnboarding } from "./workflows-customers.ts";
import { legacyCsvImport, metricsRollup, warehouseSync } from "./workflows-data.ts";
import { incidentEscalation, smokeTest } from "./workflows-incidents.ts";
import { orderFulfillment } from "./workflows-orders.ts";

export const WORKFLOWS: readonly WorkflowProfile[] = [
  orderFulfillment,
  userOnboarding,
  invoiceReminders,
  metricsRollup,
  warehouseSync,
  incidentEscalation,
  smokeTest,
  legacyCsvImport,
  trialFollowUp,
];
