// order-fulfillment: the busiest workflow, with three versions (fraud check added 18 days ago, gift
// wrapping 6 days ago) so older runs show the definition they actually ran.
import { address, lineItems, money, person, shortId } from "./fake.ts";
import type { StepDefinitionInput, WorkflowProfile } from "./workflow-profile.ts";

const validateOrder: StepDefinitionInput = {
  id: "validate-order",
  name: "Validate order",
  type: "transform",
  config: {
    output: {
      orderId: "{{input.orderId}}",
      customerId: "{{input.customerId}}",
      total: "{{input.total}}",
      currency: "{{input.currency}}",
      itemCount: "{{input.itemCount}}",
    },
  },
};
const chargePayment: StepDefinitionInput = {
  id: "charge-payment",
  name: "Charge payment",
  type: "http",
  dependsOn: ["validate-order"],
  retry: { maxAttempts: 4, backoffMs: 1000, factor: 2 },
  timeoutMs: 10_000,
  config: {
    method: "POST",
    url: "https://payments.internal/v1/charges",
    headers: { "Idempotency-Key": "charge-{{input.orderId}}" },
    body: { amount: "{{input.total}}", currency: "{{input.currency}}", customer: "{{input.customerId}}" },
  },
};
const reserveInventory: StepDefinitionInput = {
  id: "reserve-inventory",
  name: "Reserve inventory",
  type: "http",
  dependsOn: ["validate-order"],
  config: {
    method: "POST",
    url: "https://inventory.internal/v1/reservations",
    body: { orderId: "{{input.orderId}}", items: "{{input.items}}" },
  },
};
const fraudCheck: StepDefinitionInput = {
  id: "fraud-check",
  name: "Score fraud risk",
  type: "http",
  dependsOn: ["validate-order"],
  timeoutMs: 5000,
  config: {
    method: "POST",
    url: "https://risk.internal/v1/score",
    body: { orderId: "{{input.orderId}}", amount: "{{input.total}}", country: "{{input.shippingAddress.country}}" },
  },
};
const giftWrap: StepDefinitionInput = {
  id: "gift-wrap",
  name: "Request gift wrapping",
  type: "http",
  dependsOn: ["reserve-inventory"],
  when: { logic: "AND", rules: [{ field: "input.giftWrap", operator: "equals", value: true }] },
  config: {
    method: "POST",
    url: "https://wms.internal/v1/gift-wrap",
    body: { reservationId: "{{steps.reserve-inventory.output.body.reservationId}}", note: "{{input.giftNote}}" },
  },
};
const createShipment = (dependsOn: string[]): StepDefinitionInput => ({
  id: "create-shipment",
  name: "Create shipment",
  type: "http",
  dependsOn,
  config: {
    method: "POST",
    url: "https://api.shipping.example.com/v2/shipments",
    body: {
      reference: "{{input.orderId}}",
      reservationId: "{{steps.reserve-inventory.output.body.reservationId}}",
      address: "{{input.shippingAddress}}",
    },
  },
});
const sendConfirmation: StepDefinitionInput = {
  id: "send-confirmation",
  name: "Email shipping confirmation",
  type: "email",
  dependsOn: ["create-shipment"],
  config: {
    to: "{{input.customerEmail}}",
    subject: "Your order {{input.orderId}} is on its way",
    text: "Track your parcel with number {{steps.create-shipment.output.body.trackingNumber}}.",
  },
};
const notifyWarehouse: StepDefinitionInput = {
  id: "notify-warehouse",
  name: "Print pick list",
  type: "http",
  dependsOn: ["create-shipment"],
  critical: false,
  config: {
    method: "POST",
    url: "https://wms.internal/v1/pick-lists",
    body: { shipmentId: "{{steps.create-shipment.output.body.shipmentId}}" },
  },
};
const logFulfilled = (dependsOn: string[]): StepDefinitionInput => ({
  id: "log-fulfilled",
  name: "Log fulfilment",
  type: "log",
  dependsOn,
  config: {
    level: "INFO",
    message:
      "Order {{input.orderId}} fulfilled: charge {{steps.charge-payment.output.body.chargeId}}, tracking {{steps.create-shipment.output.body.trackingNumber}}",
  },
});

export const orderFulfillment: WorkflowProfile = {
  name: "order-fulfillment",
  description: "Charges, reserves stock, ships and confirms every new order from the storefront.",
  weight: 24,
  triggers: { EVENT: 6, API: 3, MANUAL: 1 },
  triggerEvent: "order.created",
  idempotencyPrefix: "order",
  versions: [
    {
      daysAgo: 40,
      definition: {
        timeoutMs: 120_000,
        retry: { maxAttempts: 3, backoffMs: 500, factor: 2 },
        trigger: { conditions: { logic: "AND", rules: [{ field: "total", operator: "greater_than", value: 0 }] } },
        steps: [
          validateOrder,
          chargePayment,
          reserveInventory,
          createShipment(["charge-payment", "reserve-inventory"]),
          sendConfirmation,
          logFulfilled(["send-confirmation"]),
        ],
      },
    },
    {
      daysAgo: 18,
      definition: {
        timeoutMs: 120_000,
        retry: { maxAttempts: 3, backoffMs: 500, factor: 2 },
        trigger: { conditions: { logic: "AND", rules: [{ field: "total", operator: "greater_than", value: 0 }] } },
        steps: [
          validateOrder,
          chargePayment,
          reserveInventory,
          fraudCheck,
          createShipment(["charge-payment", "reserve-inventory", "fraud-check"]),
          sendConfirmation,
          notifyWarehouse,
          logFulfilled(["send-confirmation", "notify-warehouse"]),
        ],
      },
    },
    {
      daysAgo: 6,
      definition: {
        timeoutMs: 120_000,
        retry: { maxAttempts: 3, backoffMs: 500, factor: 2 },
        trigger: { conditions: { logic: "AND", rules: [{ field: "total", operator: "greater_than", value: 0 }] } },
        steps: [
          validateOrder,
          chargePayment,
          reserveInventory,
          fraudCheck,
          giftWrap,
          createShipment(["charge-payment", "reserve-inventory", "fraud-check", "gift-wrap"]),
          sendConfirmation,
          notifyWarehouse,
          logFulfilled(["send-confirmation", "notify-warehouse"]),
        ],
      },
    },
  ],
  input(rng) {
    const buyer = person(rng);
    const items = lineItems(rng);
    const giftWrap = rng.chance(0.15);
    return {
      orderId: shortId(rng, "ord"),
      customerId: shortId(rng, "cus"),
      customerEmail: buyer.email,
      currency: rng.pick(["USD", "EUR", "GBP"]),
      items,
      itemCount: items.reduce((n, item) => n + item.quantity, 0),
      total: money(items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0)),
      shippingAddress: address(rng),
      giftWrap,
      ...(giftWrap ? { giftNote: `Happy birthday, ${person(rng).firstName}!` } : {}),
    };
  },
  outputs: {
    "charge-payment": ({ rng, config }) => ({
      status: 201,
      body: { chargeId: shortId(rng, "ch"), status: "succeeded", amount: (config.body as { amount: unknown }).amount },
    }),
    "reserve-inventory": ({ rng }) => ({ status: 201, body: { reservationId: shortId(rng, "res"), expiresIn: 900 } }),
    "fraud-check": ({ rng }) => ({ status: 200, body: { score: rng.int(1, 62), decision: "approve" } }),
    "gift-wrap": ({ rng }) => ({ status: 202, body: { ticket: shortId(rng, "gw") } }),
    "create-shipment": ({ rng }) => ({
      status: 201,
      body: {
        shipmentId: shortId(rng, "shp"),
        carrier: rng.pick(["DHL", "UPS", "FedEx", "Royal Mail"]),
        trackingNumber: `1Z${rng.hex(16).toUpperCase()}`,
      },
    }),
  },
  errors: {
    "charge-payment": [
      { code: "HTTP_402", detail: '{"error":"card_declined"}' },
      { code: "HTTP_402", detail: '{"error":"insufficient_funds"}' },
      { code: "HTTP_503" },
    ],
    "reserve-inventory": [
      { code: "HTTP_409", detail: '{"error":"out_of_stock"}' },
    ],
  },
  latencyMs: { "charge-payment": 650, "create-shipment": 900, "fraud-check": 240 },
};
