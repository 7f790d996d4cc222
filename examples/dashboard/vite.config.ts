// The example dashboard: built into dist/ (`npm run dashboard:build`), which the server serves at
// /dashboard. `npm run dashboard:dev` runs Vite's dev server, sending /graphql and the log
// download to a server on localhost:4000.
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const api = process.env.STEPSTREAM_URL ?? "http://localhost:4000";

export default defineConfig({
  root: import.meta.dirname,
  base: "/dashboard/",
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No source maps and no size report: the build runs in CI's browser test and should be quick.
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      "/graphql": { target: api, ws: true },
      "/executions": { target: api },
    },
  },
});
