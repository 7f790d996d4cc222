// How numbers and times read on every page.
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function time(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined) return "—";
  return `${(value * 100).toFixed(digits)}%`;
}

export function json(value: unknown): string {
  if (value === undefined) return "";
  return JSON.stringify(value, null, 2);
}

export const EXECUTION_STATUSES = ["PENDING", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"] as const;
/** Who did something (Actor): a name when there is one, else the id, with the kind. */
export function actor(a: { kind: string; id: string; name?: string | null } | null | undefined): string {
  if (!a) return "—";
  const kind = a.kind === "API_KEY" ? "API key" : a.kind === "USER" ? "user" : "system";
  return `${a.name ?? a.id} (${kind})`;
}

export const TRIGGER_SOURCES = ["MANUAL", "API", "SCHEDULE", "EVENT", "RETRY"] as const;
