# syntax=docker/dockerfile:1
# crio-sentinel container image (deployment: deploy/kubernetes/, permissions: docs/install.md).
#
#   docker build -t crio-sentinel:0.1.0 .
#
# Stage 1 compiles TypeScript with the dev dependencies; stage 2 carries only the production
# dependencies, the compiled JavaScript, the example nodes (for --demo) and journalctl.
# Base: Node 24, the active LTS (Node 20 reached end of life in April 2026), on Debian 13 "trixie".
# package.json keeps "engines": ">=20": the code still runs on Node 20 (docs/install.md says which
# versions the tests ran on).
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# --ignore-scripts: the `prepare` script would compile before the sources are copied
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY bench ./bench
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="crio-sentinel" \
      org.opencontainers.image.description="Node-level diagnostics for CRI-O: which runtime CRI-O really uses, stop/exec failures and pods stuck Terminating, as Prometheus metrics" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/crio-sentinel/crio-sentinel" \
      org.opencontainers.image.documentation="https://github.com/crio-sentinel/crio-sentinel/blob/main/docs/install.md" \
      org.opencontainers.image.base.name="docker.io/library/node:24-trixie-slim"
# journalctl and ps (procps: systeminformation lists processes with it, to find the crio process).
# Debian ships journalctl only in the systemd package (bookworm: dpkg -S; trixie: the package's file
# list), with no journalctl-only package, so the whole package is installed; none of it runs but
# journalctl (no init, no units: the container's PID 1 is node). docs/install.md "Container image".
RUN apt-get update \
 && apt-get install -y --no-install-recommends systemd procps \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*
WORKDIR /opt/crio-sentinel
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY examples ./examples
RUN ln -s /opt/crio-sentinel/dist/src/cli.js /usr/local/bin/crio-sentinel \
 && chmod 0755 dist/src/cli.js \
 && mkdir -p /var/lib/crio-sentinel && chown 65532:65532 /var/lib/crio-sentinel
# Non-root by default. Reading the host journal needs the host's systemd-journal GID as a
# supplementary group (Kubernetes: securityContext.supplementalGroups); reading the CRI-O
# socket (root:root 0660) needs root: the DaemonSet documents both choices.
USER 65532:65532
EXPOSE 20260
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:20260/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=2", "--single-threaded-gc", "--optimize-for-size", "/opt/crio-sentinel/dist/src/cli.js"]
CMD ["run", "--root=/host", "--node-facts=mounted", "--web.listen-address=:20260", "--state-dir=/var/lib/crio-sentinel"]
