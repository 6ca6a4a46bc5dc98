/** How a callback run under a deadline ended. */
export type Outcome<T> =
  | { readonly kind: "done"; readonly value: T }
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "overran"; readonly afterMs: number };

/**
 * Runs `callback` but stops waiting for it after `budgetMs`: an overrunning callback is abandoned
 * (it keeps running, but its result and any later rejection are ignored). A synchronous callback
 * that blocks the event loop cannot be interrupted; it is reported as overran when it returns late.
 */
export async function runWithDeadline<T>(callback: () => T | Promise<T>, budgetMs: number): Promise<Outcome<T>> {
  const started = performance.now();
  if (budgetMs <= 0) return { kind: "overran", afterMs: 0 };
  let timer: NodeJS.Timeout | undefined;
  const running = (async () => callback())().then(
    (value): Outcome<T> => ({ kind: "done", value }),
    (error: unknown): Outcome<T> => ({ kind: "failed", error }),
  );
  const expired = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "overran", afterMs: performance.now() - started }), budgetMs);
  });
  const outcome = await Promise.race([running, expired]);
  clearTimeout(timer);
  if (outcome.kind !== "overran" && performance.now() - started > budgetMs) {
    return { kind: "overran", afterMs: performance.now() - started };
  }
  return outcome;
}

/** A readable message for whatever a callback threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
