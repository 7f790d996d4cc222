// Results that arrive as JSON text leave as that text: a query the read layer answered with the
// JSON PostgreSQL wrote (schema/execution/preshaped.ts) is neither parsed into objects nor
// serialized again. yoga writes a result with the result's own `stringify` when it has one.
import type { ExecutionArgs, ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";

/** The response's `data` as JSON text; null (or a promise of null) to execute the query as usual. */
export type PreshapedData = (args: ExecutionArgs) => Promise<string | null> | null;

function preshapedResult(data: string): ExecutionResult {
  let parsed: ExecutionResult["data"];
  return {
    // For whatever reads the result as objects (a transport without `stringify`, e.g. graphql-ws).
    get data() {
      return (parsed ??= JSON.parse(data) as ExecutionResult["data"]);
    },
    stringify: () => `{"data":${data}}`,
  } as ExecutionResult;
}

export function preshapedPlugin(answer: PreshapedData): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const pending = answer(args);
      if (!pending) return;
      return pending.then((data) => {
        if (data !== null) setResultAndStopExecution(preshapedResult(data));
      });
    },
  };
}
