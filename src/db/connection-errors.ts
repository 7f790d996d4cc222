// Whether an error means "the database cannot be reached", as opposed to a bug or a bad query:
// what a client is told to retry (503 SERVICE_UNAVAILABLE) instead of "Unexpected error.".

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EPIPE"]);
// PostgreSQL: class 08 (connection exception), admin/crash shutdown, cannot connect now.
const SQLSTATE = /^(08\d{3}|57P0[123])$/;
// Prisma: can't reach the server, timed out, server closed the connection.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1017"]);
const MESSAGES = /Connection terminated|connection is closed|Can't reach database server|Client has encountered a connection error/i;

export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth += 1) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    const code = typeof e.code === "string" ? e.code : "";
    if (NETWORK_CODES.has(code) || SQLSTATE.test(code) || PRISMA_CODES.has(code)) return true;
    if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
    // AggregateError (a dual-stack connect) holds one error per address.
    if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
    current = e.cause ?? e.originalError;
  }
  return false;
}
