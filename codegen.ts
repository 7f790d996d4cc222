// GraphQL Code Generator: typed documents for the operations the tests (and benchmarks) use,
// generated from the committed schema.graphql. Output is gitignored and regenerated on install.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/**/*.ts", "bench/**/*.ts", "!test/generated/**"],
  ignoreNoDocuments: true,
  generates: {
    "test/generated/": {
      preset: "client",
      config: {
        scalars: { DateTime: "string", JSON: "unknown" },
        enumsAsTypes: true,
        useTypeImports: true,
        // NodeNext resolution needs explicit extensions in the generated imports.
        importExtension: ".ts",
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
