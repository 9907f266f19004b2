# The app of the end-to-end test: the example Python receiver as pid 1, with a cache that grows.
# Built with container/examples/python as the context.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
COPY receiver.py /app/receiver.py
USER 65532:65532
ENTRYPOINT ["python3", "-u", "/app/receiver.py"]
