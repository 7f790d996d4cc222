// Vue bindings for the client's live helpers: a shallow ref that follows the helper's state, and
// the helper stopped when the component goes (or its arguments change).
import { onBeforeUnmount, shallowRef, triggerRef, watch, type WatchSource } from "vue";
import {
  type ExecutionListPage,
  type ExecutionListState,
  type ExecutionListWatch,
  type ExecutionPageState,
  type ExecutionPageWatch,
  watchExecution,
  watchExecutionList,
} from "../../../../client/index.ts";
import { client } from "./session.ts";

export function useExecutionList(page: WatchSource<ExecutionListPage>) {
  const state = shallowRef<ExecutionListState | null>(null);
  let current: ExecutionListWatch | null = null;
  watch(
    page,
    (value) => {
      current?.stop();
      current = watchExecutionList(client(), value, (s) => {
        state.value = s;
        triggerRef(state);
      });
      state.value = current.state;
      triggerRef(state);
    },
    { immediate: true, deep: true },
  );
  onBeforeUnmount(() => current?.stop());
  return { state, reload: () => current?.reload() };
}

export function useExecution(id: WatchSource<string>) {
  const state = shallowRef<ExecutionPageState | null>(null);
  let current: ExecutionPageWatch | null = null;
  watch(
    id,
    (value) => {
      current?.stop();
      current = watchExecution(client(), value, (s) => {
        state.value = s;
        triggerRef(state);
      });
      state.value = current.state;
      triggerRef(state);
    },
    { immediate: true },
  );
  onBeforeUnmount(() => current?.stop());
  return { state, refresh: () => current?.refresh() };
}
