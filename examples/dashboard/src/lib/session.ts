// Credentials entered once: an API key (or none, in dev mode), kept in localStorage so a reload
// stays signed in. One typed client per session; `viewer` tells which buttons the role may use.
import { markRaw, reactive } from "vue";
import { createStepstreamClient, type Role, type StepstreamClient, ViewerQuery } from "../../../../client/index.ts";

const STORAGE_KEY = "stepstream.credentials";
const RANK: Record<Role, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

type Viewer = { role: Role; tenant: string; name: string; credential: string };

export const session = reactive({
  client: null as StepstreamClient | null,
  viewer: null as Viewer | null,
  restoring: false,
});

const graphqlUrl = () => new URL("/graphql", window.location.origin).toString();

/** Signs in with `token` (null: dev mode); the error message, or null when it worked. */
export async function signIn(token: string | null): Promise<string | null> {
  const client = createStepstreamClient({ url: graphqlUrl(), token });
  const result = await client.urql.query(ViewerQuery, {}).toPromise();
  if (!result.data?.viewer) {
    await client.dispose();
    const unauthenticated = result.error?.response?.status === 401 || result.error?.graphQLErrors.some((e) => e.extensions?.["code"] === "UNAUTHENTICATED");
    if (unauthenticated) return token ? "That API key was not accepted." : "This server requires an API key (dev mode is off).";
    return result.error?.message ?? "The server did not answer.";
  }
  session.client = markRaw(client);
  session.viewer = result.data.viewer;
  localStorage.setItem(STORAGE_KEY, JSON.stringify({ token }));
  return null;
}

export function signOut(): void {
  void session.client?.dispose();
  session.client = null;
  session.viewer = null;
  localStorage.removeItem(STORAGE_KEY);
}

/** Signs in again with the credentials of the last visit, if any. */
export async function restore(): Promise<void> {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (!saved) return;
  session.restoring = true;
  try {
    const { token } = JSON.parse(saved) as { token: string | null };
    if ((await signIn(token)) !== null) localStorage.removeItem(STORAGE_KEY);
  } catch {
    localStorage.removeItem(STORAGE_KEY);
  } finally {
    session.restoring = false;
  }
}

/** Whether the signed-in role may do what `needed` may. */
export function can(needed: Role): boolean {
  return !!session.viewer && RANK[session.viewer.role] >= RANK[needed];
}

export function client(): StepstreamClient {
  if (!session.client) throw new Error("Not signed in");
  return session.client;
}
