import { defineConfig } from "vitest/config";

// Engines log every decision at info; tests keep warnings and errors unless LOG_LEVEL says otherwise.
const env = { LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" };

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
          globalSetup: ["test/support/control-plane-setup.ts"],
          env,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
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
