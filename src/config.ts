// The environment, parsed once at the edge (main.ts) into a frozen Config. Nothing else reads
// process.env, so every setting is listed here and in the README.
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const flag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(4000),
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  EMBEDDED_PG_PORT: port.default(54329),
  EMBEDDED_PG_DATA_DIR: z.string().min(1).default(".data/postgres"),
  GRAPHIQL: flag.optional(),
  GRAPHQL_INTROSPECTION: flag.optional(),
  PRESHAPED_READS: flag.default(true),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).max(1000).default(12),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).max(1_000_000_000).default(1_000_000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(50),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(1).max(1_000_000).default(5000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1024 ** 3).default(1024 * 1024),
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 ** 2).default(256 * 1024),
  WS_MAX_OPERATIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  WS_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
  JSON_INPUT_MAX_BYTES: z.coerce.number().int().min(1).max(1024 ** 3).default(256 * 1024),
  JSON_INPUT_MAX_DEPTH: z.coerce.number().int().min(1).max(1000).default(32),
  LOG_SQL: flag.default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (it guards /metrics)").optional(),
  METRICS_PORT: port.optional(),
  RUN_WORKER: flag.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(10),
  ENGINE_LEASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  ENGINE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(2_000),
  ENGINE_MAX_WORKER_LOSSES: z.coerce.number().int().min(0).max(100).default(3),
  ENGINE_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 ** 2).default(1024 ** 2),
  SCHEDULE_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional(),
  EMAIL_FROM: z.string().min(3).default("Stepstream <noreply@stepstream.local>"),
  BULK_OPERATION_CHUNK_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  BULK_OPERATION_PAUSE_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  EXECUTION_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
  EXECUTION_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
  LIST_CHANGES_RETENTION_MS: z.coerce.number().int().min(60_000).max(90 * 86_400_000).default(86_400_000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").optional(),
  SUBSCRIPTION_IDLE_RECHECK_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
  AUTH_DEV_MODE: flag.optional(),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters (HS256 needs 256 bits)").optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  JWT_JWKS_FILE: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_TENANT_CLAIM: z.string().min(1).default("tenant"),
  JWT_ROLE_CLAIM: z.string().min(1).default("role"),
  AUTH_RECHECK_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  RATE_LIMIT_MUTATIONS: z.coerce.number().int().min(0).max(1_000_000).default(120),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
});

export type JwtConfig = Readonly<{
  /** HS256 shared secret, or RS256 keys from a JWKS URL or file: exactly one is set. */
  secret: string | undefined;
  jwksUrl: string | undefined;
  jwksFile: string | undefined;
  issuer: string;
  audience: string;
  tenantClaim: string;
  roleClaim: string;
}>;

export type Config = Readonly<{
  env: "development" | "test" | "production";
  host: string;
  port: number;
  /** API processes sharing the port (node:cluster); above 1 needs REDIS_URL. */
  webConcurrency: number;
  /** Unset: an embedded PostgreSQL is started (see db/embedded.ts). */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  embeddedPostgres: Readonly<{ port: number; dataDir: string }>;
  graphiql: boolean;
  /** `__schema`/`__type` queries allowed (default: outside production only). */
  introspection: boolean;
  /** Executions pages answered with the JSON PostgreSQL writes, when the selection allows (README "Example queries"). */
  preshapedReads: boolean;
  /** Limits on hostile input; see README "Security". */
  limits: Readonly<{
    operation: Readonly<{
      maxDepth: number;
      /**
       * graphql-armor's worst-case estimate: 1 per scalar, 2 per object, children weighted 1.5, and
       * a literal `first`/`last` multiplies its subtree (100 steps in each of 100 batches is ~670,000).
       */
      maxCost: number;
      maxAliases: number;
      maxDirectives: number;
      maxTokens: number;
      /** "Did you mean ...?" hints, which would map the schema for a stranger, hidden in production. */
      blockFieldSuggestions: boolean;
    }>;
    json: Readonly<{ maxBytes: number; maxDepth: number }>;
    maxBodyBytes: number;
    websocket: Readonly<{
      maxMessageBytes: number;
      maxOperations: number;
      initTimeoutMs: number;
    }>;
  }>;
  logSql: boolean;
  /** pino's level, and JSON lines (production, test) or readable lines (development). */
  log: Readonly<{ level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent"; format: "json" | "pretty" }>;
  /** Bearer token that /metrics requires; unset: /metrics answers 404. */
  metricsToken: string | undefined;
  /** Where a worker started on its own (`--worker`) serves /metrics; unset: it serves nothing. */
  metricsPort: number | undefined;
  worker: Readonly<{
    /** Run the engine's worker inside this process (the server's default; `npm run worker` runs it alone). */
    enabled: boolean;
    concurrency: number;
    /** A run whose worker died resumes within about leaseMs + sweepIntervalMs. */
    leaseMs: number;
    sweepIntervalMs: number;
    /** How often a worker's death may re-run one step's attempt before the step fails (WORKER_LOST). */
    maxWorkerLosses: number;
    /** The largest resolved step config or step output, in bytes of JSON. */
    maxPayloadBytes: number;
    /** How often the worker looks for workflows whose schedule is due (README "Schedules"). */
    schedulePollMs: number;
  }>;
  /**
   * How long the change log behind executionListChanges keeps its rows: a changes cursor older
   * than this is refused (CURSOR_EXPIRED) and the client re-reads its list.
   */
  listChangesRetentionMs: number;
  /** Bulk operations: targets per chunk (one lease renewal and progress update each) and a pause between chunks. */
  bulkOperations: Readonly<{ chunkSize: number; pauseMs: number }>;
  /**
   * Finished executions that completed more than `days` ago are deleted by the worker every
   * `intervalMs`; 0 days = never (the default: see README "Retention").
   */
  retention: Readonly<{ days: number; intervalMs: number }>;
  email: Readonly<{ smtpUrl: string | undefined; from: string }>;
  /** Set: events cross processes through Redis pub/sub; unset: in-process only. */
  redisUrl: string | undefined;
  /**
   * A subscription to an execution that has had no event for this long reads what it may have
   * missed (a notification lost while Redis was away); 0 = never.
   */
  subscriptionIdleRecheckMs: number;
  auth: Readonly<{
    /**
     * Requests without credentials run as the dev tenant's admin. Unset: only outside production
     * and only while no JWT is configured and no API key exists (decided at start).
     */
    devMode: boolean | undefined;
    jwt: JwtConfig | null;
    /** How long a verified API key is trusted before it is looked up again (revocation delay). */
    apiKeyCacheMs: number;
    /** How often open WebSockets and SSE subscriptions check their API key again (revocation). */
    recheckMs: number;
  }>;
  /** Mutations per API key / token subject (or per IP without credentials) per window; 0 = off. */
  rateLimit: Readonly<{ mutations: number; windowMs: number }>;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment, reporting every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Treat empty strings as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const jwtKeys = [e.JWT_SECRET, e.JWT_JWKS_URL, e.JWT_JWKS_FILE].filter((v) => v !== undefined).length;
  const problems: string[] = [];
  if (jwtKeys > 1) problems.push("JWT_SECRET, JWT_JWKS_URL, JWT_JWKS_FILE: set only one");
  if (jwtKeys === 1 && !e.JWT_ISSUER) problems.push("JWT_ISSUER: required when JWTs are accepted");
  if (jwtKeys === 1 && !e.JWT_AUDIENCE) problems.push("JWT_AUDIENCE: required when JWTs are accepted");
  if (e.WEB_CONCURRENCY > 1 && !e.REDIS_URL) {
    problems.push("WEB_CONCURRENCY: more than one API process needs REDIS_URL (events must reach every process)");
  }
  if (e.METRICS_PORT !== undefined && !e.METRICS_TOKEN) {
    problems.push("METRICS_PORT: needs METRICS_TOKEN (the metrics it serves are guarded by it)");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    webConcurrency: e.WEB_CONCURRENCY,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    embeddedPostgres: Object.freeze({ port: e.EMBEDDED_PG_PORT, dataDir: e.EMBEDDED_PG_DATA_DIR }),
    graphiql: e.GRAPHIQL ?? e.NODE_ENV !== "production",
    introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== "production",
    preshapedReads: e.PRESHAPED_READS,
    limits: Object.freeze({
      operation: Object.freeze({
        maxDepth: e.GRAPHQL_MAX_DEPTH,
        maxCost: e.GRAPHQL_MAX_COST,
        maxAliases: e.GRAPHQL_MAX_ALIASES,
        maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
        maxTokens: e.GRAPHQL_MAX_TOKENS,
        blockFieldSuggestions: e.NODE_ENV === "production",
      }),
      json: Object.freeze({ maxBytes: e.JSON_INPUT_MAX_BYTES, maxDepth: e.JSON_INPUT_MAX_DEPTH }),
      maxBodyBytes: e.MAX_BODY_BYTES,
      websocket: Object.freeze({
        maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
        maxOperations: e.WS_MAX_OPERATIONS,
        initTimeoutMs: e.WS_INIT_TIMEOUT_MS,
      }),
    }),
    logSql: e.LOG_SQL,
    log: Object.freeze({ level: e.LOG_LEVEL, format: e.LOG_FORMAT ?? (e.NODE_ENV === "development" ? "pretty" : "json") }),
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    worker: Object.freeze({
      enabled: e.RUN_WORKER,
      concurrency: e.WORKER_CONCURRENCY,
      leaseMs: e.ENGINE_LEASE_MS,
      sweepIntervalMs: e.ENGINE_SWEEP_INTERVAL_MS,
      maxWorkerLosses: e.ENGINE_MAX_WORKER_LOSSES,
      maxPayloadBytes: e.ENGINE_MAX_PAYLOAD_BYTES,
      schedulePollMs: e.SCHEDULE_POLL_MS,
    }),
    listChangesRetentionMs: e.LIST_CHANGES_RETENTION_MS,
    bulkOperations: Object.freeze({ chunkSize: e.BULK_OPERATION_CHUNK_SIZE, pauseMs: e.BULK_OPERATION_PAUSE_MS }),
    retention: Object.freeze({ days: e.EXECUTION_RETENTION_DAYS, intervalMs: e.EXECUTION_RETENTION_INTERVAL_MS }),
    email: Object.freeze({ smtpUrl: e.SMTP_URL, from: e.EMAIL_FROM }),
    redisUrl: e.REDIS_URL,
    subscriptionIdleRecheckMs: e.SUBSCRIPTION_IDLE_RECHECK_MS,
    auth: Object.freeze({
      devMode: e.AUTH_DEV_MODE,
      jwt:
        jwtKeys === 1
          ? Object.freeze({
              secret: e.JWT_SECRET,
              jwksUrl: e.JWT_JWKS_URL,
              jwksFile: e.JWT_JWKS_FILE,
              issuer: e.JWT_ISSUER as string,
              audience: e.JWT_AUDIENCE as string,
              tenantClaim: e.JWT_TENANT_CLAIM,
              roleClaim: e.JWT_ROLE_CLAIM,
            })
          : null,
      apiKeyCacheMs: e.API_KEY_CACHE_MS,
      recheckMs: e.AUTH_RECHECK_MS,
    }),
    rateLimit: Object.freeze({ mutations: e.RATE_LIMIT_MUTATIONS, windowMs: e.RATE_LIMIT_WINDOW_MS }),
  });
}
