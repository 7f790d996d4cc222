// The README's Vue and React snippets must be what `npm run typecheck` checks: each ```vue and
// ```tsx block is found, as it is, in its file under client/examples/.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/^```(vue|tsx)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1], text: m[2] ?? "" }));
const files = {
  vue: readFileSync(new URL("../../client/examples/RunningList.vue", import.meta.url), "utf8"),
  tsx: readFileSync(new URL("../../client/examples/react-running-list.tsx", import.meta.url), "utf8"),
};

describe("README client examples", () => {
  it("has a Vue and a React example", () => {
    expect(blocks.map((b) => b.lang).sort()).toEqual(["tsx", "vue"]);
  });

  it.each(blocks)("the $lang block is in its type-checked file", ({ lang, text }) => {
    // Compared paragraph by paragraph: the README may leave out parts of the file in between.
    for (const part of text.split(/\n\n+/)) expect(files[lang as "vue" | "tsx"]).toContain(part.trim());
  });
});
