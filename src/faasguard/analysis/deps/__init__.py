"""analysis/deps."""
