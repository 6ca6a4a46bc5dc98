import type { GroupVersionKind, KindClass } from "../k8s/index.ts";
import type { Binding } from "./binding.ts";
import { DeferredStore, type Schedule } from "./store.ts";
import { capabilityNameError } from "./validation.ts";
import { type BindingSink, when } from "./when.ts";
import type { WhenSelector } from "./when-types.ts";

export interface CapabilityCfg {
  name: string;
  description: string;
  /** The namespaces this capability acts in; [] or omitted = the whole cluster. */
  namespaces?: string[];
}

/** A named group of bindings with its own Store and schedules (Pepr's `Capability`). */
export class Capability implements BindingSink {
  readonly #name: string;
  readonly #description: string;
  readonly #namespaces: string[];
  readonly #bindings: Binding[] = [];
  readonly #schedules: Schedule[] = [];
  hasSchedule = false;

  /** Pepr's per-capability key-value store; the store engine attaches the real one at start. */
  readonly Store: DeferredStore;
  readonly ScheduleStore: DeferredStore;

  constructor(cfg: CapabilityCfg) {
    const problem = capabilityNameError(cfg.name);
    if (problem) throw new Error(problem);
    this.#name = cfg.name;
    this.#description = cfg.description;
    this.#namespaces = [...(cfg.namespaces ?? [])];
    this.Store = new DeferredStore(cfg.name);
    this.ScheduleStore = new DeferredStore(`${cfg.name} (schedules)`);
  }

  get name(): string {
    return this.#name;
  }
  get description(): string {
    return this.#description;
  }
  get namespaces(): string[] {
    return this.#namespaces;
  }
  get bindings(): Binding[] {
    return this.#bindings;
  }
  get schedules(): readonly Schedule[] {
    return this.#schedules;
  }

  /** Starts a binding: `When(a.Pod).IsCreated()...`. Arrow property so `const { When } = capability` works. */
  When = <T extends KindClass>(model: T, kind?: GroupVersionKind): WhenSelector<T> => when(this, model, kind);

  /** Registers a recurring job; the schedule engine runs it. */
  OnSchedule = (schedule: Schedule): void => {
    this.hasSchedule = true;
    this.#schedules.push(schedule);
  };

  addBinding(binding: Binding): void {
    this.#bindings.push(binding);
  }
}
