// The example dashboard as a user meets it, in headless Chromium: built with Vite, served by the
// server at /dashboard over seeded data, signed in with an operator's API key. A run started from
// the UI turns its steps green live, its timeline opens, another run is cancelled from its page,
// and the live RUNNING list loses a run when it finishes — all without a reload. A run is paused
// and resumed from its page, and a workflow's saved versions open one by one.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seed } from "../../src/seed/seed.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { apiKey } from "../support/auth.ts";
import { launchBrowser, screenshot } from "../support/browser.ts";
import { startRunId, waitForRun } from "../support/engine.ts";

const CreateNamedWorkflow = graphql(`
  mutation CreateNamedWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on CreateWorkflowSuccess { workflow { id } }
      ... on Error { message }
    }
  }
`);

const root = path.resolve(import.meta.dirname, "../..");
const UpdateNamedWorkflow = graphql(`
  mutation UpdateNamedWorkflow($input: UpdateWorkflowInput!) {
    updateWorkflow(input: $input) {
      __typename
      ... on Error { message }
    }
  }
`);

let app: TestApp;
let browser: Browser;
let outDir: string;
let operatorKey: string;
let viewerKey: string;
const workflows: Record<string, string> = {};

async function createNamed(name: string, definition: unknown): Promise<string> {
  const { createWorkflow } = await app.query(CreateNamedWorkflow, { input: { name, definition } });
  if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
  return createWorkflow.workflow.id;
}

beforeAll(async () => {
  // A build of its own (a few seconds), so the test never serves a stale dist/.
  outDir = await mkdtemp(path.join(os.tmpdir(), "stepstream-dashboard-"));
  const building = promisify(execFile)(
    process.execPath,
    [path.join(root, "node_modules/vite/bin/vite.js"), "build", "--config", "examples/dashboard/vite.config.ts", "--outDir", outDir, "--logLevel", "warn"],
    { cwd: root },
  );
  // Dev mode stays on for the fixtures below (no key exists at start); the browser signs in with a key.
  app = await startTestApp({}, { dashboardDir: outDir });
  const summary = await seed({ db: app.app.db, url: app.database.url }, { executions: 40 });
  operatorKey = (await apiKey(app.app.db, summary.tenantId, "OPERATOR")).secret;
  viewerKey = (await apiKey(app.app.db, summary.tenantId, "VIEWER")).secret;
  workflows["demo"] = await createNamed("browser-demo", {
    steps: [
      { id: "fetch", type: "delay", config: { ms: 1200 } },
      { id: "enrich", type: "delay", dependsOn: ["fetch"], config: { ms: 1200 } },
      { id: "score", type: "delay", dependsOn: ["fetch"], config: { ms: 800 } },
      { id: "done", type: "transform", dependsOn: ["enrich", "score"], config: { output: "{{input.name}}" } },
    ],
  });
  workflows["long"] = await createNamed("browser-long", { steps: [{ id: "wait", type: "delay", config: { ms: 120_000 } }] });
  workflows["short"] = await createNamed("browser-short", { steps: [{ id: "wait", type: "delay", config: { ms: 2500 } }] });
  await building;
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const origin = () => new URL(app.url).origin;

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  return page;
}

/** Waits for `predicate` to hold in the page (polled; fails with `what` on timeout). */
async function until(page: Page, what: string, predicate: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction(predicate, { timeout, polling: 100 });
  } catch {
    await screenshot(page, "dashboard-failure").catch(() => {});
    const text = await page.evaluate(() => document.body.innerText.slice(0, 2000)).catch(() => "");
    throw new Error(`The dashboard never showed: ${what}. The page shows: ${text}`);
  }
}

/** A fresh browser context (no session carried over), signed in with `key` on `path`. */
async function signedIn(key: string, path: string) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  await page.goto(`${origin()}/dashboard${path}`, { waitUntil: "load" });
  await page.waitForSelector("input[name=token]");
  await page.type("input[name=token]", key);
  await page.click("button[type=submit]");
  return { page, context };
}

const headStatus = (status: string) => `document.querySelector(".page-head [data-testid=status]")?.textContent.includes(${JSON.stringify(status)})`;

const rowIds = (page: Page) => page.$$eval("[data-testid=execution-row]", (rows) => rows.map((r) => r.getAttribute("data-execution-id")));

describe("the dashboard in a browser", () => {
  it("serves its files with their content types and falls back to index.html for app routes", async () => {
    const index = await fetch(`${origin()}/dashboard/`);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await index.text();
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${origin()}${script}`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toContain("immutable");
    const route = await fetch(`${origin()}/dashboard/executions/some-id`);
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(html);
    expect((await fetch(`${origin()}/dashboard/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${origin()}/dashboard/..%2f..%2fpackage.json`)).status).toBe(404);
    const bare = await fetch(`${origin()}/dashboard`, { redirect: "manual" });
    expect(bare.status).toBe(301);
  });

  it("signs in, starts a run that goes green live, cancels another, and keeps the RUNNING list true", { timeout: 120_000 }, async () => {
    const page = await newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${origin()}/dashboard/`, { waitUntil: "load" });

    // Sign in once with the operator's key.
    await page.waitForSelector("input[name=token]");
    await screenshot(page, "dashboard-login");
    await page.type("input[name=token]", operatorKey);
    await page.click("button[type=submit]");
    await until(page, "the seeded executions", `document.querySelectorAll("[data-testid=execution-row]").length > 0`);
    expect(await page.$eval("[data-testid=viewer]", (e) => e.textContent)).toContain("operator");
    await until(page, "the list live", `document.querySelector("[data-testid=live-status]")?.textContent.includes("Live")`);
    await screenshot(page, "dashboard-executions");
    // Set on the page's window: still there at the end means nothing reloaded it.
    await page.evaluate(() => Object.assign(window, { __noReload: true }));

    // Start a run from the workflow's page.
    await page.locator("nav ::-p-text(Workflows)").click();
    await page.locator("a::-p-text(browser-demo)").click();
    await page.waitForSelector("textarea[name=input]");
    await page.$eval("textarea[name=input]", (e) => ((e as HTMLTextAreaElement).value = ""));
    await page.type("textarea[name=input]", '{"name":"Ada"}');
    await screenshot(page, "dashboard-workflow");
    await page.click("[data-testid=start-run]");

    // Its page: steps appear and turn green (COMPLETED) as the run goes, in parallel in batch 2.
    await until(page, "the new run's timeline", `document.querySelectorAll("[data-testid=timeline-bar]").length > 0`);
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const statuses = await page.$$eval("[data-testid=timeline-bar]", (bars) => bars.map((b) => `${b.getAttribute("data-step-key")}:${b.getAttribute("data-step-status")}`));
      for (const s of statuses) seen.add(s);
      if (statuses.length === 4 && statuses.every((s) => s.endsWith(":COMPLETED"))) break;
      if (Date.now() > deadline) throw new Error(`Steps never all completed: ${statuses.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // It was watched while running, not only found finished.
    expect([...seen].some((s) => !s.endsWith(":COMPLETED"))).toBe(true);
    expect(await page.$$eval(".timeline-bar.bar-completed", (bars) => bars.length)).toBe(4);
    expect(await page.$$eval(".timeline-batch", (batches) => batches.length)).toBe(3);
    await until(page, "the run's end in the event stream", `document.querySelector("[data-testid=events]")?.textContent.includes("EXECUTION_COMPLETED")`);
    await page.click("[data-step-key=done]");
    await until(page, "the step's output", `document.querySelector("[data-testid=step-detail]")?.textContent.includes("Ada")`);
    await screenshot(page, "dashboard-execution");

    // The RUNNING tab: a long run is listed; a short one enters live, and leaves when it finishes.
    const longId = await startRunId(app, workflows["long"] as string);
    await page.locator("nav ::-p-text(Executions)").click();
    await page.waitForSelector("input[name=status-RUNNING]");
    await page.click("input[name=status-RUNNING]");
    await page.click("[data-testid=apply-filters]");
    await until(page, "the long run in the RUNNING list", `!!document.querySelector('[data-execution-id="${longId}"]')`);
    await until(page, "the RUNNING list live", `document.querySelector("[data-testid=live-status]")?.textContent.includes("Live")`);
    const shortId = await startRunId(app, workflows["short"] as string);
    await until(page, "the short run entering the RUNNING list", `!!document.querySelector('[data-execution-id="${shortId}"]')`);
    await screenshot(page, "dashboard-running");
    await until(page, "the short run leaving the RUNNING list when it finished", `!document.querySelector('[data-execution-id="${shortId}"]')`);
    expect(await rowIds(page)).toContain(longId);

    // Cancel the long run from its page.
    await page.click(`[data-execution-id="${longId}"] a`);
    await page.waitForSelector("[data-testid=cancel]");
    await page.click("[data-testid=cancel]");
    await until(page, "the run cancelled", `document.querySelector(".page-head [data-testid=status]")?.textContent.includes("CANCELLED")`);
    expect(await page.$("[data-testid=cancel]")).toBeNull();
    expect(await page.$("[data-testid=retry]")).not.toBeNull();
    // Who cancelled it and why: the operator's key, with the dashboard's reason.
    await until(page, "who cancelled it", `document.querySelector("[data-testid=cancelled-by]")?.textContent.includes("operator key (API key)")`);
    expect(await page.$eval("[data-testid=cancel-reason]", (e) => e.textContent)).toBe("Cancelled from the dashboard");
    await screenshot(page, "dashboard-cancelled");
    await page.goBack();
    await until(page, "the RUNNING list without the cancelled run", `document.querySelector("[data-testid=live-status]")?.textContent.includes("Live") && !document.querySelector('[data-execution-id="${longId}"]')`);

    // Stats.
    await page.locator("nav ::-p-text(Stats)").click();
    await until(page, "the statistics", `!!document.querySelector("[data-testid=stat-total]") && document.querySelectorAll("canvas").length >= 2`);
    await screenshot(page, "dashboard-stats");

    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("pauses a running run from its page, shows it PAUSED, resumes it and sees it finish", { timeout: 150_000 }, async () => {
    // Started by the fixtures (dev mode's user); a long first step, so the run is still going when the page is up even on a slow machine.
    const workflowId = await createNamed("browser-pausable", {
      steps: [
        { id: "nap", type: "delay", config: { ms: 12_000 } },
        { id: "after", type: "transform", dependsOn: ["nap"], config: { output: "done" } },
      ],
    });
    const runId = await startRunId(app, workflowId, {});
    const { page, context } = await signedIn(operatorKey, `/executions/${encodeURIComponent(runId)}`);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));

    await until(page, "the Pause button of the running run", `!!document.querySelector("[data-testid=pause]")`, 60_000);
    expect(await page.$eval("[data-testid=started-by]", (e) => e.textContent)).toContain("dev (user)");
    expect(await page.$eval("[data-testid=ran-version]", (e) => e.textContent)).toContain("v1");
    expect(await page.$("[data-testid=resume]")).toBeNull();
    await page.click("[data-testid=pause]");
    // PAUSED at once (the run is asleep in its delay) or once its running step is done.
    await until(page, "the run PAUSED", `${headStatus("PAUSED")} && !!document.querySelector("[data-testid=resume]")`, 60_000);
    await until(page, "EXECUTION_PAUSED in the event stream", `document.querySelector("[data-testid=events]")?.textContent.includes("EXECUTION_PAUSED")`);
    expect(await page.$("[data-testid=pause]")).toBeNull();
    expect(await page.$("[data-testid=cancel]")).not.toBeNull();
    // No step starts under a pause: the dependent step has not completed.
    expect(await page.$('[data-step-key=after][data-step-status="COMPLETED"]')).toBeNull();
    await screenshot(page, "dashboard-paused");

    // The PAUSED filter knows it; back on its page, Resume.
    await page.goto(`${origin()}/dashboard/executions?status=PAUSED`, { waitUntil: "load" });
    await until(page, "the run in the PAUSED list", `!!document.querySelector('[data-execution-id="${runId}"]')`, 60_000);
    expect(await page.$eval("input[name=status-PAUSED]", (e) => (e as HTMLInputElement).checked)).toBe(true);
    await page.click(`[data-execution-id="${runId}"] a`);
    await until(page, "the Resume button", `!!document.querySelector("[data-testid=resume]")`, 60_000);
    await page.click("[data-testid=resume]");
    await until(page, "the resumed run COMPLETED", headStatus("COMPLETED"), 60_000);
    await until(page, "both steps green", `document.querySelectorAll('[data-testid=timeline-bar][data-step-status="COMPLETED"]').length === 2`);
    await until(page, "EXECUTION_RESUMED in the event stream", `document.querySelector("[data-testid=events]")?.textContent.includes("EXECUTION_RESUMED")`);
    expect(await page.$$("[data-testid=pause], [data-testid=resume], [data-testid=cancel]")).toHaveLength(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("lists a workflow's versions newest first and shows the chosen one's definition", { timeout: 90_000 }, async () => {
    const workflowId = await createNamed("browser-versioned", { steps: [{ id: "first_version_step", type: "delay", config: { ms: 10 } }] });
    const { updateWorkflow } = await app.query(UpdateNamedWorkflow, {
      input: { id: workflowId, definition: { steps: [{ id: "second_version_step", type: "delay", config: { ms: 10 } }] } },
    });
    expect(updateWorkflow.__typename).toBe("UpdateWorkflowSuccess");
    const { page, context } = await signedIn(operatorKey, `/workflows/${encodeURIComponent(workflowId)}`);
    await until(page, "the versions", `document.querySelectorAll("[data-testid=version]").length === 2`, 60_000);
    const versions = await page.$$eval("[data-testid=version]", (items) => items.map((i) => i.getAttribute("data-version")));
    expect(versions).toEqual(["2", "1"]);
    const definition = () => page.$eval("[data-testid=version-definition]", (e) => e.textContent ?? "");
    expect(await definition()).toContain("second_version_step");
    expect(await page.$eval("[data-testid=triggers]", (e) => e.textContent)).toContain("Last run");

    await page.click('[data-testid=version][data-version="1"]');
    await until(page, "version 1's definition", `document.querySelector("[data-testid=version-definition]")?.textContent.includes("first_version_step")`);
    expect(await definition()).not.toContain("second_version_step");
    expect(await page.$eval('[data-testid=version][data-version="1"]', (e) => e.getAttribute("aria-pressed"))).toBe("true");
    await screenshot(page, "dashboard-versions");
    await context.close();
  });

  it("shows a viewer no action buttons, and signs in without credentials in dev mode as admin", { timeout: 60_000 }, async () => {
    const failing = await createNamed("browser-failing", { steps: [{ id: "boom", type: "transform", config: { output: "{{input.missing.deeper}}" } }] });
    const failedId = await startRunId(app, failing);
    const failed = await waitForRun(app, failedId);
    expect(failed.status).toBe("FAILED");
    // A context of its own: the first test's session (localStorage) must not carry over.
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    await page.goto(`${origin()}/dashboard/executions/${encodeURIComponent(failedId)}`, { waitUntil: "load" });
    await page.waitForSelector("input[name=token]");
    await page.type("input[name=token]", viewerKey);
    await page.click("button[type=submit]");
    await until(page, "the failed run for a viewer", `document.querySelector(".page-head [data-testid=status]")?.textContent.includes("FAILED")`);
    expect(await page.$eval("[data-testid=viewer]", (e) => e.textContent)).toContain("viewer");
    expect(await page.$$("[data-testid=retry], [data-testid=retry-from-failed], [data-testid=cancel], [data-testid=pause], [data-testid=resume]")).toHaveLength(0);

    await page.locator("::-p-text(Sign out)").click();
    await page.waitForSelector("input[value=dev]");
    await page.click("input[value=dev]");
    await page.click("button[type=submit]");
    await until(page, "the retry buttons for an admin", `!!document.querySelector("[data-testid=retry]") && !!document.querySelector("[data-testid=retry-from-failed]")`);
    expect(await page.$eval("[data-testid=viewer]", (e) => e.textContent)).toContain("admin");
    expect(await page.$("[data-testid=cancel]")).toBeNull();
    await page.click("[data-testid=retry]");
    await until(page, "the retry's own page", `location.pathname !== ${JSON.stringify(`/dashboard/executions/${encodeURIComponent(failedId)}`)} && document.querySelector(".summary")?.textContent.includes("retry of a failed run")`);
    await screenshot(page, "dashboard-retry");
    await context.close();
  });
});
