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
  let returned: T | Promise<T>;
  try {
    returned = callback();
  } catch (error) {
    return inTime({ kind: "failed", error }, started, budgetMs);
  }
  // A callback that finished synchronously needs no timer.
  if (!isThenable(returned)) return inTime({ kind: "done", value: returned }, started, budgetMs);
  let timer: NodeJS.Timeout | undefined;
  const running = Promise.resolve(returned).then(
    (value): Outcome<T> => ({ kind: "done", value }),
    (error: unknown): Outcome<T> => ({ kind: "failed", error }),
  );
  const expired = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "overran", afterMs: performance.now() - started }), budgetMs);
  });
  const outcome = await Promise.race([running, expired]);
  clearTimeout(timer);
  return outcome.kind === "overran" ? outcome : inTime(outcome, started, budgetMs);
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}

/** `outcome`, unless the callback ended after its budget (it blocked the event loop): then overran. */
function inTime<T>(outcome: Outcome<T>, started: number, budgetMs: number): Outcome<T> {
  const afterMs = performance.now() - started;
  return afterMs > budgetMs ? { kind: "overran", afterMs } : outcome;
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
