// ESLint (flat config) with typescript-eslint. Biome was the first choice, but its platform
// packages for other operating systems are missing from the registry this project installs from,
// which breaks `npm ci`.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "src/generated/", "test/generated/", "client/generated/", "examples/dashboard/dist/", ".data/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  // Browser code: the frontend client and the example dashboard (its .vue files are checked by vue-tsc).
  { files: ["client/**", "examples/dashboard/src/**"], languageOptions: { globals: globals.browser } },
);
