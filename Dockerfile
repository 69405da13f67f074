# acctguard service image. Same install steps as the README (pip install of this project);
# no Docker engine runs on the development machines, so this file is kept to those steps.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/acctguard
COPY pyproject.toml README.md ./
COPY service ./service
COPY detectors ./detectors
RUN pip install . \
    && groupadd --system --gid 10001 acctguard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/acctguard --create-home \
        acctguard

# Train the default model at build time, so a container starts serving in seconds.
RUN acctguard train --out /opt/acctguard/model.npz

# Numeric, so Kubernetes' runAsNonRoot can check it without the image's /etc/passwd.
USER 10001:10001
# A non-loopback address needs TLS and authentication: mount certificates and a tokens file and
# set ACCTGUARD_TLS_CERT_FILE, _TLS_KEY_FILE and _TOKENS_FILE (or _TLS_CLIENT_CA_FILE), or set
# ACCTGUARD_ALLOW_INSECURE=true behind a trusted network. Otherwise `serve` refuses to start.
# Metrics (plain HTTP, no authentication) listen on every interface here so Prometheus can
# scrape the container; outside a container the default stays loopback.
ENV ACCTGUARD_LISTEN=0.0.0.0:50051 \
    ACCTGUARD_METRICS_LISTEN=0.0.0.0:9464 \
    ACCTGUARD_DATA_DIR=/var/lib/acctguard \
    ACCTGUARD_MODEL_PATH=/opt/acctguard/model.npz
VOLUME ["/var/lib/acctguard"]
EXPOSE 50051 9464

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["acctguard", "health", "--target", "127.0.0.1:50051"]

STOPSIGNAL SIGTERM
CMD ["acctguard", "serve"]
