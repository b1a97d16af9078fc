FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PARLEY_HOST=0.0.0.0 \
    PARLEY_DATA_DIR=/var/lib/parley

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
# Editable install: `parley db upgrade` finds alembic.ini and migrations/ beside src/.
RUN pip install --no-cache-dir -e . \
    && useradd --system --home /var/lib/parley parley \
    && mkdir -p /var/lib/parley && chown parley /var/lib/parley

USER parley
EXPOSE 11311
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:11311/health/ready').status != 200)"
CMD ["parley", "serve"]
