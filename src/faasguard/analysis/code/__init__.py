"""analysis/code."""
