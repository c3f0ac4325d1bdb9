# The vault API image (also runs `vault migrate`, and later the OCR worker and signing service).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# pg_dump/pg_restore for `vault backup`/`vault restore` (Debian 12's 15: compose.yml pins the
# server to match), SoftHSM2 for the signing service's default token, Tesseract for OCR,
# DejaVu for the certification page.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client softhsm2 \
        tesseract-ocr tesseract-ocr-vie fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY vault ./vault
COPY signing ./signing
COPY ocr ./ocr
COPY api ./api
RUN pip install --no-cache-dir --no-deps . && useradd --system --uid 10001 --groups softhsm vault
USER vault
EXPOSE 8000
CMD ["vault", "serve", "--host", "0.0.0.0", "--port", "8000"]
