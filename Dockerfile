# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/ledger.db \
    KNOWLEDGE_DIR=/app/knowledge

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY bot/ bot/
COPY handlers/ handlers/
COPY knowledge/ knowledge/
COPY dashboard/ dashboard/

# A knowledge base with errors never reaches an image.
RUN python -m bot validate knowledge

RUN useradd --create-home --uid 10001 counter \
    && mkdir -p /data && chown counter:counter /data
USER counter
VOLUME ["/data"]

CMD ["python", "-m", "bot", "run"]
