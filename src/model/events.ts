import { WatchPhase } from "../k8s/index.ts";

export { WatchPhase };
/** The event a binding is registered for (Pepr's `Event`). */
export const Event = {
  CREATE: "CREATE",
  UPDATE: "UPDATE",
  DELETE: "DELETE",
  CREATE_OR_UPDATE: "CREATEORUPDATE",
  ANY: "*",
} as const;
export type Event = (typeof Event)[keyof typeof Event];

/** An admission request's operation (Pepr's `Operation`). */
export const Operation = {
  CREATE: "CREATE",
  UPDATE: "UPDATE",
  DELETE: "DELETE",
  CONNECT: "CONNECT",
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

const operationsByEvent: Readonly<Record<Event, readonly Operation[]>> = {
  CREATE: ["CREATE"],
  UPDATE: ["UPDATE"],
  DELETE: ["DELETE"],
  CREATEORUPDATE: ["CREATE", "UPDATE"],
  "*": ["CREATE", "UPDATE", "DELETE"],
};

const phasesByEvent: Readonly<Record<Event, readonly WatchPhase[]>> = {
  CREATE: ["ADDED"],
  UPDATE: ["MODIFIED"],
  DELETE: ["DELETED"],
  CREATEORUPDATE: ["ADDED", "MODIFIED"],
  "*": ["ADDED", "MODIFIED", "DELETED"],
};

/** The admission operations an event stands for. */
export function operationsOf(event: Event): readonly Operation[] {
  return operationsByEvent[event];
}

/** The watch phases an event stands for. */
export function watchPhasesOf(event: Event): readonly WatchPhase[] {
  return phasesByEvent[event];
}
