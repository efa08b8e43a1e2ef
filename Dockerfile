# One image for the API and the worker; the command picks the role.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md worker.py ./
COPY nurture ./nurture
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY scenarios ./scenarios
RUN pip install --no-cache-dir .
ENV NURTURE_LOG_LEVEL=INFO
CMD ["nurture", "worker"]
