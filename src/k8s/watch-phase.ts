/** A watch event's type as the API server names it (kubernetes-fluent-client's `WatchPhase`). */
export const WatchPhase = {
  Added: "ADDED",
  Modified: "MODIFIED",
  Deleted: "DELETED",
  Bookmark: "BOOKMARK",
  Error: "ERROR",
} as const;
export type WatchPhase = (typeof WatchPhase)[keyof typeof WatchPhase];
