# syntax=docker/dockerfile:1
# gatehouse: one image for the authorization server (default command), the contacts service and
# the forward-auth authorizer. Built from the repository root:
#   docker build -t gatehouse .
#   docker run --read-only -p 4000:4000 -v gatehouse-data:/var/lib/gatehouse \
#     -e GATEHOUSE_ISSUER=http://localhost:4000/ gatehouse
# deploy/container/dockerfile.test.ts replays these steps without a Docker engine and runs the
# result on a read-only root file system; docs/deploy/container.md explains the choices.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: production dependencies, native add-ons compiled or fetched prebuilt ----
FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when it can and compiles one otherwise: keep a
# toolchain here, in the stage that is thrown away.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# The lockfile and its "allowScripts" list are written by npm 11: install with the same npm.
RUN npm install -g npm@11.19.1 --no-audit --no-fund
WORKDIR /app
# Sources before `npm ci`: its root `prepare` step (scripts/build.mjs) bundles each bin into
# <package>/dist/cli.mjs, which the bins run instead of compiling TypeScript at every start, and
# builds the admin console with Vite (its tsconfig extends tsconfig.base.json).
COPY package.json package-lock.json tsconfig.base.json ./
COPY scripts/bin-shim.mjs scripts/build.mjs ./scripts/
COPY packages ./packages
COPY services ./services
RUN npm ci --omit=dev --no-audit --no-fund

# ---- runtime: no toolchain, no npm cache, non-root, read-only root file system friendly ----
FROM ${NODE_IMAGE} AS runtime
RUN groupadd --system --gid 10001 gatehouse \
  && useradd --system --uid 10001 --gid gatehouse --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin gatehouse \
  && mkdir -p /var/lib/gatehouse \
  && chown 10001:10001 /var/lib/gatehouse \
  && chmod 0700 /var/lib/gatehouse
# The data volume is the only path written to: SQLite files and the local key-encryption key.
# TSX_DISABLE_CACHE keeps tsx's transform cache in memory, should a bin fall back to the sources.
ENV NODE_ENV=production \
  GATEHOUSE_HOST=0.0.0.0 \
  GATEHOUSE_PORT=4000 \
  GATEHOUSE_DATA_DIR=/var/lib/gatehouse \
  CONTACTS_HOST=0.0.0.0 \
  CONTACTS_DATA_DIR=/var/lib/gatehouse/contacts \
  AUTHORIZER_HOST=0.0.0.0 \
  TSX_DISABLE_CACHE=1
WORKDIR /app
COPY --from=build --chown=0:0 /app /app
USER 10001:10001
VOLUME ["/var/lib/gatehouse"]
EXPOSE 4000
# No curl in the slim image: node's fetch asks /healthz (200 when the store answers).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEHOUSE_PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "packages/server/bin/gatehouse.mjs", "serve"]
