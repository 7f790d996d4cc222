// Routes under /dashboard/ (the server answers every unknown path there with index.html).
import { createRouter, createWebHistory } from "vue-router";
import ExecutionPage from "./pages/ExecutionPage.vue";
import ExecutionsPage from "./pages/ExecutionsPage.vue";
import WorkflowPage from "./pages/WorkflowPage.vue";
import WorkflowsPage from "./pages/WorkflowsPage.vue";

export const router = createRouter({
  history: createWebHistory("/dashboard/"),
  routes: [
    { path: "/", redirect: "/executions" },
    { path: "/executions", component: ExecutionsPage, meta: { title: "Executions" } },
    { path: "/executions/:id", component: ExecutionPage, props: true, meta: { title: "Execution" } },
    // Its own chunk: Chart.js is most of the bundle and only this page draws charts.
    { path: "/stats", component: () => import("./pages/StatsPage.vue"), meta: { title: "Stats" } },
    { path: "/workflows", component: WorkflowsPage, meta: { title: "Workflows" } },
    { path: "/workflows/:id", component: WorkflowPage, props: true, meta: { title: "Workflow" } },
    { path: "/:rest(.*)*", redirect: "/executions" },
  ],
});

router.afterEach((to) => {
  document.title = `${String(to.meta["title"] ?? "Dashboard")} · Stepstream`;
});
