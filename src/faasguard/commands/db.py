"""`faasguard db`: the local advisory database (OSV exports indexed for offline scans)."""

from __future__ import annotations

import sys
import time

import click


@click.group()
def db() -> None:
    """The local advisory database used by offline scans (FG601)."""


@db.command("update")
@click.option("--ecosystem", "ecosystems", multiple=True,
              type=click.Choice(["PyPI", "npm", "Debian", "Ubuntu", "Alpine"]),
              help="Only this ecosystem (repeatable). Default: all of them (the OS ones for container images).")
@click.option("--url", help="Base URL of the OSV exports [$FAASGUARD_OSV_EXPORT_URL or the OSV bucket].")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for the server to answer.")
def update(ecosystems: tuple[str, ...], url: str | None, timeout: float) -> None:
    """Download the OSV advisory exports (<url>/<ecosystem>/all.zip) and index them into the cache directory.

    This is the only command besides `scan --online` that uses the network. An ecosystem whose download fails
    keeps its previous database; the command then exits 1.
    """
    from faasguard.analysis.deps.advisories import ECOSYSTEMS, osv_dir, update_database

    started = time.perf_counter()
    try:
        results = update_database(ecosystems or ECOSYSTEMS, url, timeout=timeout)
    except OSError as exc:
        click.echo(f"faasguard: cannot write the advisory cache {osv_dir()}: {exc.strerror}", err=True)
        sys.exit(1)
    for result in results:
        if result.ok:
            click.echo(f"{result.ecosystem}: {result.message}")
        else:
            click.echo(f"faasguard: {result.ecosystem}: update failed: {result.message}", err=True)
    click.echo(f"advisory database: {osv_dir()} ({time.perf_counter() - started:.1f} s)")
    if not all(r.ok for r in results):
        sys.exit(1)


@db.command("status")
def status() -> None:
    """Show what the local advisory database holds and how old it is."""
    import sqlite3

    from faasguard.analysis.deps.advisories import ECOSYSTEMS, SqliteStore, osv_dir

    found = False
    for ecosystem in ECOSYSTEMS:
        path = osv_dir() / f"{ecosystem}.sqlite"
        if not path.is_file():
            continue
        try:
            store = SqliteStore(path)
            meta = store.meta()
            store.close()
        except sqlite3.Error as exc:
            click.echo(f"{ecosystem}: unreadable ({exc}); run `faasguard db update`")
            continue
        found = True
        age = (time.time() - float(meta.get("built", "0") or 0)) / 86_400
        click.echo(f"{ecosystem}: {meta.get('records', '?')} advisories, updated {age:.1f} days ago "
                   f"from {meta.get('source', '?')}")
    if not found:
        click.echo(f"no advisory database in {osv_dir()}; run `faasguard db update`")
