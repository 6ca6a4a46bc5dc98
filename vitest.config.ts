import { configDefaults, defineConfig } from "vitest/config";

// Engines log every decision at info; tests keep warnings and errors unless LOG_LEVEL says otherwise.
const env = { LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" };
const PEPR_SUITE = "test/integration/compat/suite-pepr.test.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          env,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: [...configDefaults.exclude, PEPR_SUITE],
          globalSetup: ["test/support/control-plane-setup.ts"],
          env,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      // The compat suite under real Pepr 1.1.4 (installed on first use): only with `CAPSTAN_COMPAT_PEPR=1`
      // (.ci/run), on a control plane of its own: it uses the capstan suite's names.
      ...(process.env.CAPSTAN_COMPAT_PEPR === "1"
        ? [
            {
              test: {
                name: "compat-pepr",
                include: [PEPR_SUITE],
                globalSetup: ["test/support/control-plane-setup.ts"],
                env,
                testTimeout: 180_000,
                hookTimeout: 300_000,
              },
            },
          ]
        : []),
      // Long fault-injection runs with their own control plane: only with `npm run soak`.
      ...(process.env.CAPSTAN_SOAK === "1"
        ? [
            {
              test: {
                name: "soak",
                include: ["test/soak/**/*.test.ts"],
                env,
                testTimeout: 900_000,
                hookTimeout: 300_000,
              },
            },
          ]
        : []),
    ],
  },
});
