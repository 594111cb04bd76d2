# faasguard in a container: `docker run --rm -v "$PWD:/src:ro" faasguard scan .`
#
# Base image pinned by digest, not only by tag, so a rebuild cannot silently pick up a different image. The digest
# is the linux/amd64 image of python:3.12-slim (Debian bookworm) as published by Docker Official Images; it was
# taken from two independent public build configurations that pin the same digest, and could not be re-resolved
# against the registry from the build machine. Before a release, re-resolve and update both FROM lines with:
#   docker buildx imagetools inspect python:3.12-slim     # pick the index digest for multi-arch builds
ARG PYTHON_IMAGE=python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

# --- build stage: make the wheel and install it, with its dependencies, into a self-contained virtualenv.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
COPY pyproject.toml README.md MANIFEST.in ./
COPY src ./src
RUN python -m venv /opt/faasguard \
 && /opt/faasguard/bin/pip install --no-compile . \
 && /opt/faasguard/bin/pip uninstall -y pip \
 && /opt/faasguard/bin/faasguard --version

# --- final stage: the interpreter and the virtualenv only (no pip, no compilers, no build context), non-root.
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 faasguard \
 && useradd --system --uid 10001 --gid faasguard --home-dir /home/faasguard --create-home faasguard
COPY --from=build /opt/faasguard /opt/faasguard
ENV PATH=/opt/faasguard/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    FAASGUARD_CACHE_DIR=/home/faasguard/.cache/faasguard
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["faasguard"]
CMD ["scan", "."]
