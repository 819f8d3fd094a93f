# syntax=docker/dockerfile:1.7
# One Dockerfile for the four services and the console: they are one Python project, so every image carries
# the same installed code and differs only in which app it serves.
#
#   docker build --build-arg SERVICE=registry -t tic-registry:0.1.0 .
#
# SERVICE is registry | evaluation | funding | notification | dashboard (the console). The same image also
# runs the migrations (`docker run tic-registry:0.1.0 tic migrate`), which is what docker-compose.yml and the
# Helm hook Job do.

# The console's browser assets (htmx, ECharts, axe-core), from the npm packages pinned in its
# package-lock.json; only the dashboard image gets them, the others get an empty folder.
FROM node:24.19.0-bookworm-slim AS assets
ARG SERVICE
WORKDIR /src
COPY services/dashboard/package.json services/dashboard/package-lock.json ./
RUN mkdir -p /out \
 && if [ "${SERVICE}" = "dashboard" ]; then \
      npm ci --omit=dev --ignore-scripts --no-audit --no-fund && cp -r node_modules /out/node_modules; \
    fi

# Both stages use the same base, pinned by version; add @sha256:... where your registry policy asks for
# digests. Change the two FROM lines together.
FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A compiler only for the rare dependency without a wheel for this platform; it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /src
# Every direct dependency is pinned with == in pyproject.toml; deploy/docker/constraints.txt pins the
# transitive ones too, so two builds of the same commit install the same versions.
COPY deploy/docker/constraints.txt /tmp/constraints.txt
COPY pyproject.toml ./
COPY shared/ shared/
COPY services/ services/
COPY tic_platform/ tic_platform/
# Bytecode is compiled here because the runtime filesystem is read-only; pip leaves the venv so that
# nothing in the final image can install anything.
RUN /opt/venv/bin/pip install --constraint /tmp/constraints.txt . \
 && /opt/venv/bin/python -m compileall -q /opt/venv/lib \
 && /opt/venv/bin/pip uninstall -y pip setuptools wheel \
 && rm -f /opt/venv/bin/pip*


FROM python:3.11.13-slim-bookworm AS runtime
ARG SERVICE
# Fail the build early on a missing or unknown service name; drop the base image's own pip (a package
# installer is not needed to run anything); create the unprivileged user.
RUN case "${SERVICE}" in registry|evaluation|funding|notification|dashboard) ;; \
      *) echo "build with --build-arg SERVICE=registry|evaluation|funding|notification|dashboard" >&2; exit 1 ;; \
    esac \
 && rm -rf /usr/local/lib/python3.11/site-packages/pip* /usr/local/bin/pip* \
 && groupadd --system --gid 10001 tic \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin tic
COPY --from=build /opt/venv /opt/venv
COPY --from=assets /out /opt/console-assets

LABEL org.opencontainers.image.title="tic-${SERVICE}" \
      org.opencontainers.image.description="TIC Platform ${SERVICE} service" \
      org.opencontainers.image.source="https://example.invalid/tic-platform"

# uvicorn reads UVICORN_* for every option; one worker per container is the Kubernetes default (scale
# with replicas), docker-compose.yml raises UVICORN_WORKERS. SIGTERM makes uvicorn stop accepting,
# finish in-flight requests for up to UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN seconds, then run the app's
# lifespan shutdown: the NATS consumers stop and the outbox relay flushes. The relay and the consumers
# live in this process; there is no separate worker to run.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TIC_SERVICE=${SERVICE} \
    TIC_DASHBOARD_ASSETS_DIR=/opt/console-assets/node_modules \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000 \
    UVICORN_WORKERS=1 \
    UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN=25 \
    UVICORN_PROXY_HEADERS=true \
    UVICORN_SERVER_HEADER=false \
    UVICORN_LOG_LEVEL=info

USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# `exec` makes uvicorn PID 1 so it receives SIGTERM itself.
CMD ["/bin/sh", "-c", "exec uvicorn --factory \"${TIC_SERVICE}.main:create_app\""]
