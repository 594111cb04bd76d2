"""Sub-commands imported on demand by cli.LazyGroup."""
