# Supportal's container image (docs/deploy.md). Build: docker build -t supportal .
# One image runs every process; the command picks which (compose.yaml):
#   web     manage.py run_web --bind 0.0.0.0:8000
#   worker  manage.py run_worker        tasks  manage.py db_worker
#   smtp    manage.py run_smtp

# --- build: wheels for every dependency, compiled catalogues, collected static files --------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements/base.txt requirements/base.txt
RUN python -m venv /venv \
    && /venv/bin/pip install -r requirements/base.txt \
    && /venv/bin/pip install "django-storages[s3]>=1.14" "sentry-sdk[django]>=2"
COPY . .
RUN /venv/bin/pip install --no-deps . \
    && SECRET_KEY=build-only SUPPORTAL_VAR_DIR=/tmp/var STATIC_ROOT=/static \
       /venv/bin/python manage.py compile_translations \
    && SECRET_KEY=build-only SUPPORTAL_VAR_DIR=/tmp/var STATIC_ROOT=/static \
       /venv/bin/python manage.py collectstatic --no-input --verbosity 0

# --- run: the virtualenv, the code, the static files; no compilers, no root ----------------
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin supportal \
    && mkdir -p /data/media /data/backups \
    && chown -R supportal /data
COPY --from=build /venv /venv
COPY --from=build --chown=root:root /src /app
COPY --from=build /static /app/static
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SUPPORTAL_VAR_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/static \
    LOG_FORMAT=json
WORKDIR /app
USER supportal
EXPOSE 8000 2525
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["python", "manage.py", "run_web", "--bind", "0.0.0.0:8000"]
