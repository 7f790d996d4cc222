// GraphQL Code Generator: typed documents generated from the committed schema.graphql, for two
// sets of operations: the tests' (and benchmarks') own, and the frontend client's (client/, which
// the example dashboard uses). Output is gitignored and regenerated on install.
import type { CodegenConfig } from "@graphql-codegen/cli";

const clientPreset = {
  preset: "client",
  config: {
    scalars: { DateTime: "string", JSON: "unknown" },
    enumsAsTypes: true,
    useTypeImports: true,
    // NodeNext resolution needs explicit extensions in the generated imports.
    importExtension: ".ts",
  },
  presetConfig: { fragmentMasking: false },
} as const;

const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    "test/generated/": { ...clientPreset, documents: ["test/**/*.ts", "bench/**/*.ts", "!test/generated/**"] },
    "client/generated/": { ...clientPreset, documents: ["client/**/*.ts", "!client/generated/**"] },
  },
};

export default config;
