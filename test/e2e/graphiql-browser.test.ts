// GraphiQL as a user meets it, in headless Chromium: served from the installed package (the page
// asks no other host for anything), a query runs, and an executionEvents subscription shows live
// events over SSE (the default) and over graphql-ws (?subscriptions=ws).
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, screenshot } from "../support/browser.ts";
import { createWorkflow, startRunId } from "../support/engine.ts";
import { graphql } from "../generated/gql.ts";

const CancelRun = graphql(`
  mutation GraphiqlCancelRun($input: CancelExecutionInput!) {
    cancelExecution(input: $input) { __typename }
  }
`);

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** Opens GraphiQL with `query`, recording every request the page makes to another origin. */
async function openGraphiQL(query: string, params = ""): Promise<{ page: Page; foreign: string[] }> {
  const page = await browser.newPage();
  const foreign: string[] = [];
  const origin = new URL(app.url).origin;
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("blob:") && !url.startsWith("data:")) foreign.push(url);
  });
  await page.goto(`${app.url}?query=${encodeURIComponent(query)}${params}`, { waitUntil: "load" });
  await page.waitForSelector(".graphiql-execute-button", { timeout: 30_000 });
  return { page, foreign };
}

/** The text of GraphiQL's result pane. */
const resultText = (page: Page) =>
  page.$eval(".graphiql-response", (element) => (element as HTMLElement).innerText.replace(/\s+/g, " "));

async function waitForResult(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await resultText(page).catch(() => "");
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`GraphiQL never showed ${pattern}; it shows: ${text.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("GraphiQL in a browser", () => {
  it("loads without any other host and runs a query", { timeout: 60_000 }, async () => {
    const { page, foreign } = await openGraphiQL("{ workflows(first: 5) { totalCount } }");
    await page.click(".graphiql-execute-button");
    await waitForResult(page, /"totalCount": \d+/);
    await screenshot(page, "graphiql-query");
    expect(foreign).toEqual([]);
    await page.close();
  });

  for (const [transport, params] of [
    ["SSE", ""],
    ["graphql-ws", "&subscriptions=ws"],
  ] as const) {
    it(`shows executionEvents arriving live over ${transport}`, { timeout: 60_000 }, async () => {
      // A delay no slow machine outlasts: the run ends when the test cancels it (a 2.5 s delay once
      // ended before a loaded CI machine's browser showed its first event).
      const workflowId = await createWorkflow(app, {
        steps: [
          { id: "wait", type: "delay", config: { ms: 600_000 } },
          { id: "done", type: "transform", dependsOn: ["wait"], config: { output: "ok" } },
        ],
      });
      const id = await startRunId(app, workflowId);
      const { page, foreign } = await openGraphiQL(`subscription { executionEvents(executionId: "${id}") { sequence type } }`, params);
      await page.click(".graphiql-execute-button");
      // The run is still in its delay: what shows first cannot be its end...
      const first = await waitForResult(page, /"type": "\w+"/);
      expect(first).not.toContain("EXECUTION_CANCELLED");
      // ...which arrives while the page stays open.
      const cancelled = await app.request(CancelRun, { input: { id } });
      expect(cancelled.data?.cancelExecution.__typename).toBe("CancelExecutionSuccess");
      await waitForResult(page, /EXECUTION_CANCELLED/);
      await screenshot(page, `graphiql-subscription-${transport}`);
      expect(foreign).toEqual([]);
      await page.close();
    });
  }
});
