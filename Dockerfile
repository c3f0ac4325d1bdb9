# The vault API image (also runs `vault migrate`, and later the OCR worker and signing service).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY vault ./vault
COPY signing ./signing
COPY ocr ./ocr
COPY api ./api
RUN pip install --no-cache-dir --no-deps . && useradd --system --uid 10001 vault
USER vault
EXPOSE 8000
CMD ["vault", "serve", "--host", "0.0.0.0", "--port", "8000"]
