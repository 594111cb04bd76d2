"""faasguard: security scanner, least-privilege generator and runtime guard for serverless applications."""

__version__ = "0.1.0"
