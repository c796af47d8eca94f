// A frontend's day against the mock, through openapi-fetch typed by openapi-typescript from openapi.yaml:
// sign in like the real service, list and page the groups, create one, read it back. Exits 1 on any surprise.
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type Group = components["schemas"]["Group"];

const baseUrl: string = process.argv[2] ?? "";
if (!baseUrl) throw new Error("usage: node dist/flow.js BASE_URL");

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${what}`);
}

async function signIn(clientId: string, secret: string): Promise<string> {
  const basic = Buffer.from(`${clientId}:${secret}`).toString("base64");
  const answer = await fetch(`${baseUrl}/oauth2/token?grant_type=client_credentials`, {
    method: "POST",
    headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
  });
  check(answer.status === 200, `sign-in answered ${answer.status}`);
  const token = (await answer.json()) as { access_token: string; expires_in: number; token_type: string };
  check(token.token_type === "Bearer" && token.expires_in > 0, "a Bearer token that expires");
  return token.access_token;
}

async function main(): Promise<void> {
  const token = await signIn("demo-client-alice", "demo-secret-alice");
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  // Every group, two at a time: the response's nextToken goes back as the query's, with no conversion.
  const seen: Group[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 50; page++) {
    const { data, error } = await api.GET("/user/groups", {
      params: { query: nextToken === undefined ? { limit: 2 } : { limit: 2, nextToken } },
    });
    check(error === undefined && data !== undefined, `listUserGroups: ${JSON.stringify(error)}`);
    seen.push(...data.items); // `items` is always there: no `?? []`
    nextToken = data.nextToken;
    if (nextToken === undefined) break;
  }
  check(nextToken === undefined, "the walk ended");
  check(seen.some((g) => g.name === "ACME Logistics"), "Alice sees ACME Logistics");
  check(new Set(seen.map((g) => g.id)).size === seen.length, "no group twice");

  const created = await api.POST("/group", { body: { name: "Typed client hub", tags: ["typed"] } });
  check(created.data !== undefined, `createGroup: ${JSON.stringify(created.error)}`);
  const id: string = created.data.id;

  const read = await api.GET("/group", { params: { query: { groupId: id } } });
  check(read.data !== undefined && read.data[0]?.name === "Typed client hub", "the new group reads back");

  const missing = await api.GET("/group", { params: { query: { groupId: "no-such-group" } } });
  check(missing.response.status === 404 && missing.error?.code === "NOT_FOUND", "a typed Error body");

  const roles = await api.GET("/group/roles", { params: { query: { limit: 100 } } });
  check(roles.data !== undefined && roles.data.items.length >= 4 && roles.data.nextToken === undefined, "roles");

  console.log(JSON.stringify({ groups: seen.length, created: id, roles: roles.data.items.length }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
