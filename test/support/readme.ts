// The README's code blocks, classified, for the doc tests (test/unit/readme-examples.test.ts checks
// what can be checked without a server, test/e2e/readme-examples.test.ts runs the rest against one).
import { readFileSync } from "node:fs";
import { parse as parseShell } from "shell-quote";
import { GRAPHQL_PATH } from "../../src/server/yoga.ts";
import { LOG_DOWNLOAD_ROUTE } from "../../src/server/log-download.ts";
import { METRICS_PATH } from "../../src/server/metrics-route.ts";
import { HEALTH_PATH, READY_PATH } from "../../src/server/readiness.ts";

export const README_URL = new URL("../../README.md", import.meta.url);
export const readme = readFileSync(README_URL, "utf8");

export type Block = { lang: string; text: string; /** 1-based line of the opening fence. */ line: number; name: string };

export const blocks: Block[] = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => {
  const line = readme.slice(0, m.index).split("\n").length;
  return { lang: m[1] ?? "", text: m[2] ?? "", line, name: `${m[1] || "text"} block at README.md:${line}` };
});

/**
 * Languages the doc tests know what to do with; a block in another one fails the unit test. The
 * "Client" section's vue and tsx blocks are kept equal to files the typecheck compiles
 * (test/unit/readme-client-examples.test.ts).
 */
export const KNOWN_LANGUAGES = ["sh", "graphql", "json", "ts", "yaml", "vue", "tsx", ""] as const;

/** A shell command of a ```sh block: its leading `NAME=value` settings, the program and its arguments. */
export type ShellCommand = { text: string; env: Record<string, string>; program: string | null; args: string[] };

/**
 * The commands of a ```sh block, one per line (`\` continues a line; `#` starts a comment).
 * `$VAR` stays as written, to be filled in by whoever runs the command.
 */
export function shellCommands(block: Block): ShellCommand[] {
  const lines = block.text.replace(/\\\n/g, " ").split("\n");
  const commands: ShellCommand[] = [];
  for (const text of lines) {
    const words = parseShell(text, (name) => `$${name}`).filter((w): w is string => typeof w === "string");
    if (words.length === 0) continue;
    const env: Record<string, string> = {};
    let i = words[0] === "export" ? 1 : 0;
    for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i] as string); i += 1) {
      const [name, ...value] = (words[i] as string).split("=");
      env[name as string] = value.join("=");
    }
    commands.push({ text, env, program: words[i] ?? null, args: words.slice(i + 1) });
  }
  return commands;
}

/** The HTTP routes the server answers; a curl example must name one of them. */
export const ROUTES: { name: string; matches(path: string): boolean }[] = [
  { name: GRAPHQL_PATH, matches: (p) => p === GRAPHQL_PATH },
  { name: "/executions/{id}/logs", matches: (p) => LOG_DOWNLOAD_ROUTE.test(p) },
  { name: METRICS_PATH, matches: (p) => p === METRICS_PATH },
  { name: HEALTH_PATH, matches: (p) => p === HEALTH_PATH },
  { name: READY_PATH, matches: (p) => p === READY_PATH },
];

/** What a curl command asks for: method, URL, headers and body (-X, -H, -d; other flags ignored). */
export function curlRequest(command: ShellCommand): { method: string; url: string; headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = {};
  let method: string | undefined;
  let body: string | undefined;
  let url = "";
  for (let i = 0; i < command.args.length; i += 1) {
    const arg = command.args[i] as string;
    if (arg === "-H" || arg === "--header") {
      const [name, ...value] = (command.args[++i] as string).split(":");
      headers[(name as string).trim().toLowerCase()] = value.join(":").trim();
    } else if (arg === "-X" || arg === "--request") method = command.args[++i];
    else if (arg === "-d" || arg === "--data" || arg === "--data-raw") body = command.args[++i];
    else if (!arg.startsWith("-")) url = arg;
  }
  return { method: method ?? (body === undefined ? "GET" : "POST"), url, headers, ...(body === undefined ? {} : { body }) };
}

/** Settings named in the README's tables (`| \`NAME\` |`): the environment and the limits. */
export const documentedSettings = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1] as string));
