// Talking to kartond: sign-in over /auth (docs/web.md, "Sign-in") and every
// service over the Connect protocol at /api, with the session cookie and
// the session's CSRF token on each call.
import type { DescService } from "@bufbuild/protobuf";
import { type Client, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

export interface Session {
  userId: string;
  name: string;
  email: string;
  roles: string[];
  sessionId: string;
  csrfToken: string;
  expireTime?: string;
}

// The CSRF token of the signed-in session; the cookie itself is HttpOnly
// and never seen by scripts.
let csrfToken = "";

// Binary protobuf bodies: smaller and faster than JSON, and an Any (other
// modules' card sections) arrives packed, for the page that knows its type
// to unpack; JSON would need every such type registered here.
const transport = createConnectTransport({
  baseUrl: "/api",
  useBinaryFormat: true,
  fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "same-origin" }),
  interceptors: [
    (next) => async (request) => {
      if (csrfToken) request.header.set("X-CSRF-Token", csrfToken);
      return next(request);
    },
  ],
});

export function client<T extends DescService>(service: T): Client<T> {
  return createClient(service, transport);
}

// A refused sign-in: `status` is the HTTP status (401 wrong email or
// password, 429 locked for `retryAfterSeconds`).
export class SignInError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterSeconds = 0,
  ) {
    super(message);
  }
}

export async function currentSession(): Promise<Session | null> {
  const answer = await fetch("/auth/session", { credentials: "same-origin" });
  if (answer.status === 401) return null;
  if (!answer.ok) throw new Error(`GET /auth/session: ${answer.status}`);
  const session = (await answer.json()) as Session;
  csrfToken = session.csrfToken;
  return session;
}

export async function signIn(email: string, password: string): Promise<Session> {
  const answer = await fetch("/auth/sign-in", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const body = await answer.json();
  if (!answer.ok) {
    throw new SignInError(
      String(body.message ?? answer.statusText),
      answer.status,
      Number(answer.headers.get("Retry-After") ?? 0),
    );
  }
  csrfToken = body.csrfToken;
  return body as Session;
}

export async function signOut(): Promise<void> {
  await fetch("/auth/sign-out", {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken },
  });
  csrfToken = "";
}

// A file sent to a client-streaming file method through kartond's /files
// bridge (docs/api.md, "Files over HTTP"): `request` is the first message's
// fields (JSON). Answers the method's response as JSON; a refusal throws
// with the server's message, which names the field.
export async function uploadFile(method: string, request: object, file: File): Promise<Record<string, unknown>> {
  const form = new FormData();
  form.append("request", new Blob([JSON.stringify(request)], { type: "application/json" }));
  form.append("file", file, file.name);
  const answer = await fetch(`/files/${method}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken },
    body: form,
  });
  const body = await answer.json().catch(() => ({ message: answer.statusText }));
  if (!answer.ok) throw new Error(String(body.message ?? answer.statusText));
  return body as Record<string, unknown>;
}

// The URL that downloads from a server-streaming file method (a link the
// browser follows with the session cookie).
export function downloadUrl(method: string, parameters: Record<string, string>): string {
  return `/files/${method}?${new URLSearchParams(parameters).toString()}`;
}

// What to show a person for a failed call: the server's message, which
// names the field for bad input.
export function problemOf(error: unknown): string {
  if (error instanceof ConnectError) return error.rawMessage;
  return error instanceof Error ? error.message : String(error);
}
