import { createRequire } from "node:module";
import type * as Ramda from "ramda";

// Pepr re-exports all of ramda as `R`. It is loaded on first use, so runtimes of modules that never
// touch `R` do not pay for loading it at start-up, and from ramda's one-file build (about a quarter
// of the time its hundreds of CommonJS files take).
let loaded: typeof Ramda | undefined;
function ramda(): typeof Ramda {
  loaded ??= createRequire(import.meta.url)("ramda/dist/ramda.min") as typeof Ramda;
  return loaded;
}

export const R: typeof Ramda = new Proxy({} as typeof Ramda, {
  get: (_target, name) => Reflect.get(ramda(), name),
  has: (_target, name) => Reflect.has(ramda(), name),
  ownKeys: () => Reflect.ownKeys(ramda()),
  getOwnPropertyDescriptor: (_target, name) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(ramda(), name);
    return descriptor ? { ...descriptor, configurable: true } : undefined;
  },
});
