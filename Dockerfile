# One image for every role: the api, worker and beat services choose their command.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data
WORKDIR /app

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
