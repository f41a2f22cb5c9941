# One image for every role: the api, worker and beat services choose their command.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data
WORKDIR /app

# OCR of scanned invoices (tasks/ocr.py): Tesseract 5 and the extraction languages' packs, and
# poppler's pdftoppm for the PDFs PDFium refuses (scanner/ocr/pages.py).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-nld \
        tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-por tesseract-ocr-pol \
        tesseract-ocr-swe tesseract-ocr-dan tesseract-ocr-nor poppler-utils \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md constraints.txt ./
COPY core ./core
COPY graph ./graph
COPY models ./models
COPY scanner ./scanner
COPY tasks ./tasks
RUN pip install --constraint constraints.txt . && useradd --system --home-dir /app invoicescan \
    && mkdir -p /data && chown invoicescan /data

USER invoicescan
EXPOSE 8000
CMD ["invoicescan", "api", "--host", "0.0.0.0", "--port", "8000"]
