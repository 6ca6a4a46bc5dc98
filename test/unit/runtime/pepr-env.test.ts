import { describe, expect, it } from "vitest";
import { peprEnv } from "../../../src/runtime/pepr-env.ts";

describe("Pepr's environment variables", () => {
  it("defaults when none is set", () => {
    expect(peprEnv({})).toEqual({
      additionalIgnoredNamespaces: [],
      storeRedactValues: false,
      prettyLogs: false,
      nodeWarnings: false,
      unneeded: [],
    });
  });

  it("reads each variable into a typed option", () => {
    const options = peprEnv({
      PEPR_WATCH_MODE: "true",
      PEPR_MODE: "dev",
      PEPR_ADDITIONAL_IGNORED_NAMESPACES: " istio-system, ,flux-system ",
      PEPR_STORE_REDACT_VALUES: "true",
      PEPR_PRETTY_LOGS: "false",
      PEPR_NODE_WARNINGS: "1",
      PEPR_MAX_CACHE_MISS_WINDOWS: "5",
    });
    expect(options).toMatchObject({
      role: "controller",
      mode: "dev",
      additionalIgnoredNamespaces: ["istio-system", "flux-system"],
      storeRedactValues: true,
      prettyLogs: false,
      nodeWarnings: true,
      maxCacheMissWindows: 5,
    });
    expect(peprEnv({ PEPR_WATCH_MODE: "false" }).role).toBe("admission");
  });

  it("names the variables capstan does not need, with the reason", () => {
    const { unneeded } = peprEnv({
      PEPR_LAST_SEEN_LIMIT_SECONDS: "300",
      PEPR_RELIST_INTERVAL_SECONDS: "600",
      PEPR_RESYNC_FAILURE_MAX: "5",
      SSL_KEY_PATH: "/etc/certs/tls.key",
    });
    expect(unneeded.map((entry) => entry.name)).toEqual([
      "PEPR_LAST_SEEN_LIMIT_SECONDS",
      "PEPR_RELIST_INTERVAL_SECONDS",
      "PEPR_RESYNC_FAILURE_MAX",
      "SSL_KEY_PATH",
    ]);
    expect(unneeded[0]?.reason).toMatch(/bookmarks/);
  });

  it("refuses bad values with one line naming the variable and what to use", () => {
    expect(() => peprEnv({ PEPR_WATCH_MODE: "yes" })).toThrow('Invalid PEPR_WATCH_MODE "yes": use true or false');
    expect(() => peprEnv({ PEPR_MODE: "prod" })).toThrow(/PEPR_MODE "prod": use dev or build/);
    expect(() => peprEnv({ PEPR_MAX_CACHE_MISS_WINDOWS: "0" })).toThrow(
      'Invalid PEPR_MAX_CACHE_MISS_WINDOWS "0": use a whole number of at least 1',
    );
  });
});
