"""`faasguard cache`: the stored scan results (faasguard.scan_cache)."""

from __future__ import annotations

import click


@click.group()
def cache() -> None:
    """The scan cache, in the user cache directory ($FAASGUARD_CACHE_DIR to move it)."""


@cache.command("clean")
def clean() -> None:
    """Remove every stored scan result and unit of work (faasguard.unit_cache). Derived tables (the IAM
    catalog) and the advisory database stay: they are rebuilt or downloaded, not replayed."""
    from faasguard import unit_cache
    from faasguard.scan_cache import clean as remove
    from faasguard.scan_cache import scan_cache_dir

    count = remove() + unit_cache.clean()
    click.echo(f"faasguard: removed {count} cached scan result{'' if count == 1 else 's'} from {scan_cache_dir()}")
