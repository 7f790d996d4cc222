// Headless Chromium for browser tests: Debian's `chromium` package driven by puppeteer-core
// (browser downloads are not reachable here; .ci/run installs the package).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../artifacts");

export async function launchBrowser(): Promise<Browser> {
  const executablePath = CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!executablePath) throw new Error("No Chromium found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH");
  await mkdir(ARTIFACTS, { recursive: true });
  return puppeteer.launch({
    executablePath,
    headless: true,
    // As root Chromium refuses its sandbox; /dev/shm is small in containers.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** Saves a screenshot of the page under test/artifacts (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) as `${string}.png`, fullPage: true });
}
