# syntax=docker/dockerfile:1
# The service's image: src/main.ts run by Node with tsx's loader, as `npm start` runs it (no build
# step: the sources are the program). docker-compose.yml builds it; test/docker-compose.test.ts checks
# it as data, since no Docker engine runs in CI.
#
# Node 24, the active LTS (Node 20's life ended in April 2026). The README says which versions are
# tested, package.json's `engines` which are supported.

# Build stage: the production dependencies. better-sqlite3 compiles its native binding here when no
# prebuilt binary fits, hence python3, make and g++, none of which reach the runtime image.
FROM node:24-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime stage, on the same base: the native bindings were built for its glibc and Node ABI.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY machines ./machines
COPY src ./src
# The code stays root's, read-only to the service; only DATA_DIR (./data by default, the embedded
# store's) belongs to the service's user. Mount a volume on /app/data to keep a SQLite store.
RUN install -d -o node -g node /app/data
# `node` (uid 1000) is the unprivileged user of the official Node images.
USER node
EXPOSE 8123
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8123) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1, neither npm nor a shell: `docker stop`'s SIGTERM (or a SIGINT) reaches
# src/main.ts's handlers, which finish the requests in flight, close WebSockets with 1001 and exit 0.
CMD ["node", "--import", "tsx", "src/main.ts"]
