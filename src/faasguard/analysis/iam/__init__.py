"""analysis/iam."""
