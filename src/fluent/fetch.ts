export interface FetchResponse<T> {
  data: T;
  ok: boolean;
  status: number;
  statusText: string;
  headers: Headers;
  /** Why the request failed before a response (network error) or its JSON could not be parsed. */
  e?: unknown;
}

/**
 * `fetch` that never throws: JSON bodies are parsed when the response says so, other bodies are
 * returned as text, and a failure to connect is `{ ok: false, status: 0, e }`.
 */
export async function fetch<T = unknown>(url: string | URL, init?: RequestInit): Promise<FetchResponse<T>> {
  let response: Response;
  try {
    response = await globalThis.fetch(url, init);
  } catch (e) {
    const statusText = e instanceof Error ? e.message : String(e);
    return { data: undefined as T, ok: false, status: 0, statusText, headers: new Headers(), e };
  }
  const base = { ok: response.ok, status: response.status, statusText: response.statusText, headers: response.headers };
  try {
    const text = await response.text();
    const json = (response.headers.get("content-type") ?? "").includes("json") && text !== "";
    return { ...base, data: (json ? JSON.parse(text) : text) as T };
  } catch (e) {
    return { ...base, ok: false, data: undefined as T, e };
  }
}
