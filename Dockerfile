# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The Spanish catalog of the public pages (as `make` builds it).
RUN python scripts/build_translations.py
RUN useradd --create-home --uid 10001 wayfinder && mkdir -p instance && chown wayfinder instance
USER wayfinder
EXPOSE 8000
# Workers, threads and timeouts: gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]
