// Small pools of plausible values for workflow inputs and step outputs. Enough variety that lists
// and searches in the dashboard look real, little enough to read at a glance.
import type { Random } from "./random.ts";

const FIRST_NAMES = [
  "Ada",
  "Bruno",
  "Chen",
  "Dana",
  "Emeka",
  "Farah",
  "Gustav",
  "Hana",
  "Ines",
  "Jonas",
  "Keiko",
  "Luca",
  "Maya",
  "Nadia",
  "Omar",
  "Priya",
  "Rafael",
  "Sofia",
  "Tomas",
  "Yara",
];
const LAST_NAMES = [
  "Almeida",
  "Becker",
  "Costa",
  "Dubois",
  "Eriksen",
  "Fischer",
  "Garcia",
  "Haddad",
  "Ivanova",
  "Jensen",
  "Kowalski",
  "Lopez",
  "Moreau",
  "Nakamura",
  "Okafor",
  "Patel",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Weber",
];
const COMPANIES = [
  "Northwind",
  "Globex",
  "Initech",
  "Umbrella Labs",
  "Stark Logistics",
  "Acme Retail",
  "Hooli",
  "Vandelay Imports",
  "Soylent Foods",
  "Wayne Analytics",
  "Cyberdyne",
  "Tyrell Bio",
];
const CITIES = [
  { city: "Berlin", country: "DE", postalCode: "10115" },
  { city: "Lisbon", country: "PT", postalCode: "1100-148" },
  { city: "Austin", country: "US", postalCode: "73301" },
  { city: "Toronto", country: "CA", postalCode: "M5H 2N2" },
  { city: "Osaka", country: "JP", postalCode: "530-0001" },
  { city: "Lyon", country: "FR", postalCode: "69001" },
  { city: "Manchester", country: "GB", postalCode: "M1 1AE" },
  { city: "Melbourne", country: "AU", postalCode: "3000" },
];
const STREETS = ["Market St", "Rua Augusta", "Hauptstrasse", "King St W", "Rue de la Republique", "Oxford Rd"];
const PRODUCTS = [
  "mug-ceramic-12oz",
  "tee-organic-m",
  "hoodie-zip-l",
  "notebook-a5-dot",
  "bottle-steel-750",
  "cap-canvas",
  "socks-merino-2p",
  "tote-recycled",
];
const SERVICES = ["checkout-api", "search", "payments-gateway", "auth", "image-resizer", "notifications", "ledger"];
const ALERTS = [
  "p99 latency above 2s",
  "error rate above 5%",
  "disk usage above 90%",
  "queue depth growing",
  "5xx spike",
  "certificate expires in 3 days",
  "replica lag above 30s",
];

export type Person = { firstName: string; lastName: string; email: string; company: string };

export function person(rng: Random): Person {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const company = rng.pick(COMPANIES);
  const domain = `${company.toLowerCase().replace(/[^a-z]/g, "")}.example`;
  return { firstName, lastName, email: `${firstName}.${lastName}${rng.int(1, 99)}@${domain}`.toLowerCase(), company };
}

export function address(rng: Random): Record<string, string> {
  return { line1: `${rng.int(1, 240)} ${rng.pick(STREETS)}`, ...rng.pick(CITIES) };
}

export function lineItems(rng: Random): { sku: string; quantity: number; unitPrice: number }[] {
  return Array.from({ length: rng.int(1, 4) }, () => ({
    sku: rng.pick(PRODUCTS),
    quantity: rng.int(1, 3),
    unitPrice: rng.int(8, 90) - 0.01,
  }));
}

export const service = (rng: Random) => rng.pick(SERVICES);
export const alertTitle = (rng: Random) => rng.pick(ALERTS);
export const money = (amount: number) => Math.round(amount * 100) / 100;
export const shortId = (rng: Random, prefix: string) => `${prefix}_${rng.hex(12)}`;
