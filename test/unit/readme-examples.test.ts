// The README is what people copy, so every code block in it is checked here or run by
// test/e2e/readme-examples.test.ts: workflow definitions pass createWorkflow's checks, GraphQL
// operations parse and validate against the schema, shell commands name scripts that exist,
// documented settings and real routes, and the layout names files that exist.
import { existsSync, readFileSync } from "node:fs";
import { type ArgumentNode, Kind, type ObjectValueNode, parse, validate, valueFromASTUntyped, visit } from "graphql";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { builtInActions, createActionRegistry } from "../../src/engine/actions/registry.ts";
import { parseWorkflowDefinition } from "../../src/engine/definition.ts";
import { validateSteps } from "../../src/engine/validate-steps.ts";
import { schema } from "../../src/schema/index.ts";
import { blocks, curlRequest, documentedSettings, KNOWN_LANGUAGES, readme, ROUTES, shellCommands } from "../support/readme.ts";

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> };
const of = (lang: string) => blocks.filter((b) => b.lang === lang).map((b) => [b.name, b] as const);

/** Definitions in ```json blocks (objects with `steps`) and in createWorkflow mutations' input. */
function definitions(): [string, unknown][] {
  const found: [string, unknown][] = [];
  for (const block of blocks) {
    if (block.lang === "json") {
      const value: unknown = JSON.parse(block.text);
      if (typeof value === "object" && value !== null && "steps" in value) found.push([block.name, value]);
    }
    if (block.lang === "graphql" && block.text.includes("createWorkflow")) {
      visit(parse(block.text), {
        Argument(node: ArgumentNode) {
          if (node.name.value !== "input" || node.value.kind !== Kind.OBJECT) return;
          const field = (node.value as ObjectValueNode).fields.find((f) => f.name.value === "definition");
          if (field) found.push([block.name, valueFromASTUntyped(field.value)]);
        },
      });
    }
  }
  return found;
}

describe("README examples", () => {
  const examples = definitions();
  const actions = createActionRegistry(builtInActions);

  it("has the blocks this test checks, each in a language it knows", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(of("graphql").length).toBeGreaterThanOrEqual(4);
    expect(of("sh").length).toBeGreaterThanOrEqual(5);
    expect(blocks.filter((b) => !(KNOWN_LANGUAGES as readonly string[]).includes(b.lang)).map((b) => b.name)).toEqual([]);
  });

  it.each(examples)("%s is a definition createWorkflow accepts", (_where, definition) => {
    const parsed = parseWorkflowDefinition(definition);
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    if (parsed.ok) expect(validateSteps(parsed.value, actions)).toEqual([]);
  });

  it.each(of("graphql"))("%s validates against the schema", (_name, block) => {
    const document = parse(block.text);
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });

  it.each(of("json"))("%s is JSON", (_name, block) => {
    expect(() => JSON.parse(block.text)).not.toThrow();
  });

  it.each(of("yaml"))("%s is YAML", (_name, block) => {
    expect(parseYaml(block.text)).toEqual(expect.any(Object));
  });

  it.each(of("sh"))("%s runs scripts that exist, with documented settings, against real routes", (_name, block) => {
    const commands = shellCommands(block);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      for (const name of Object.keys(command.env)) expect(documentedSettings, `${name} in the environment table`).toContain(name);
      if (command.program === null) continue; // only `export`s
      expect(["npm", "curl"], command.text).toContain(command.program);
      if (command.program === "npm") {
        const [verb, script] = command.args;
        if (verb === "run") expect(Object.keys(packageJson.scripts), command.text).toContain(script);
        else if (verb === "start" || verb === "test") expect(Object.keys(packageJson.scripts)).toContain(verb);
        else expect(["install", "ci"], command.text).toContain(verb);
      }
      if (command.program === "curl") {
        const { pathname } = new URL(curlRequest(command).url.replace(/\$\w+/g, "x"));
        expect(ROUTES.filter((r) => r.matches(pathname)).map((r) => r.name), command.text).toHaveLength(1);
      }
    }
  });

  it("names only npm scripts that exist, in text and tables too", () => {
    const named = [...readme.matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(5);
    expect([...new Set(named)].filter((script) => !(script in packageJson.scripts))).toEqual([]);
  });

  it("lays out files and folders that exist", () => {
    const layout = blocks.filter((b) => b.lang === "" && /^src\//m.test(b.text));
    expect(layout.length).toBeGreaterThan(0);
    const paths = layout.flatMap((b) => [...b.text.matchAll(/^((?:src|test|bench)\/[\w./-]*)/gm)].map((m) => m[1] as string));
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => !existsSync(new URL(`../../${p}`, import.meta.url)))).toEqual([]);
  });
});
