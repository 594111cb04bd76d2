"""Where advisory data comes from: local OSV files, the cache `faasguard db update` fills, and the OSV API.

* A directory or small zip of OSV JSON records (`--advisories`, `advisories = [...]` in the config) is parsed into
  memory.
* A large zip (an ecosystem's full OSV export, `<ecosystem>/all.zip`) is indexed once into SQLite in the cache
  directory: table `packages(ecosystem, key, id)` with an index, and each record's JSON compressed in `records`.
  A scan then opens the database and reads only the records of the packages it has, so matching 30 requirements
  costs milliseconds instead of re-parsing ~20,000 files. SQLite is in the standard library and needs no loading
  step, which is why it beats a pickled or JSON index here.
* `faasguard db update` downloads the PyPI, npm, Debian, Ubuntu and Alpine exports and builds those databases;
  `--online` asks the OSV batch API instead. Nothing here touches the network unless one of those two was asked for.

The download and API URLs and the cache directory can be moved with environment variables
(`FAASGUARD_OSV_EXPORT_URL`, `FAASGUARD_OSV_API_URL`, `FAASGUARD_CACHE_DIR`), never from the scanned project's
config file: the config comes with the code under review, and must not be able to redirect where package names are
sent or which answers are trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from faasguard._record import record
from faasguard.analysis.deps.osv import MemoryStore, OsvFormatError, OsvRecord, parse_record
from faasguard.cache import cache_dir
from faasguard.findings import Diagnostic, DiagnosticKind, DiagnosticLevel, Incomplete
from faasguard.model import Location
from faasguard.sources import display_path

COMPONENT = "dependencies"
DEFAULT_EXPORT_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_API_URL = "https://api.osv.dev/v1"
ECOSYSTEMS = ("PyPI", "npm", "Debian", "Ubuntu", "Alpine")
INDEX_FORMAT = 1
SMALL_ZIP_MEMBERS = 2_000
MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_RECORD_FILES = 500_000
MAX_DOWNLOAD_BYTES = 2 * 1024 * 1024 * 1024
MAX_API_RESPONSE = 64 * 1024 * 1024


class AdvisoryError(Exception):
    """A download or API call failed; the message says what and why, for the user."""


def osv_dir() -> Path:
    return cache_dir() / "osv"


def export_url() -> str:
    return os.environ.get("FAASGUARD_OSV_EXPORT_URL", DEFAULT_EXPORT_URL).rstrip("/")


def api_url() -> str:
    return os.environ.get("FAASGUARD_OSV_API_URL", DEFAULT_API_URL).rstrip("/")


# ------------------------------------------------------------------------------------------ SQLite

class SqliteStore:
    """Records indexed by package in SQLite (built by `build_index`). Read-only at scan time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._cache: dict[str, OsvRecord | None] = {}
        row = self._db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != str(INDEX_FORMAT):
            self._db.close()
            raise sqlite3.DatabaseError(f"{path}: not a faasguard advisory index of format {INDEX_FORMAT}")

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def lookup(self, ecosystem: str, key: str) -> list[OsvRecord]:
        rows = self._db.execute(
            "SELECT r.id, r.data FROM packages p JOIN records r ON r.id = p.id WHERE p.ecosystem = ? AND p.key = ?",
            (ecosystem, key)).fetchall()
        records = []
        for record_id, blob in rows:
            if record_id not in self._cache:
                try:
                    self._cache[record_id] = parse_record(json.loads(zlib.decompress(blob)))
                except (OsvFormatError, ValueError, zlib.error):
                    self._cache[record_id] = None
            record = self._cache[record_id]
            if record is not None:
                records.append(record)
        return records

    def close(self) -> None:
        self._db.close()


@record(frozen=False, slots=False)
class IndexResult:
    records: int = 0
    skipped: list[str] = field(default_factory=list)
    """Members that are not valid OSV records (name: reason)."""


def build_index(zip_path: Path, out_path: Path, source: str) -> IndexResult:
    """Index an OSV export zip into a SQLite file, written next to `out_path` and moved into place atomically so
    a scan never sees half a database."""
    result = IndexResult()
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE records (id TEXT PRIMARY KEY, data BLOB NOT NULL);
            CREATE TABLE packages (ecosystem TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL);
        """)
        with zipfile.ZipFile(zip_path) as zf:
            infos = [i for i in zf.infolist() if i.filename.endswith(".json") and not i.is_dir()]
            if len(infos) > MAX_RECORD_FILES:
                raise AdvisoryError(f"{source}: {len(infos)} files, over the {MAX_RECORD_FILES} limit")
            batch_records: list[tuple[str, bytes]] = []
            batch_packages: list[tuple[str, str, str]] = []
            for info in infos:
                if info.file_size > MAX_RECORD_BYTES:
                    result.skipped.append(f"{info.filename}: over {MAX_RECORD_BYTES} bytes")
                    continue
                try:
                    raw = zf.read(info)
                    record = parse_record(json.loads(raw))
                except (OsvFormatError, ValueError, zipfile.BadZipFile, OSError) as exc:
                    result.skipped.append(f"{info.filename}: {_short(exc)}")
                    continue
                batch_records.append((record.id, zlib.compress(raw, 6)))
                batch_packages.extend({(a.ecosystem, a.key, record.id) for a in record.affected})
                result.records += 1
                if len(batch_records) >= 5_000:
                    _flush(db, batch_records, batch_packages)
            _flush(db, batch_records, batch_packages)
        db.execute("CREATE INDEX packages_key ON packages (ecosystem, key)")
        db.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("format", str(INDEX_FORMAT)), ("source", source), ("built", str(int(time.time()))),
            ("records", str(result.records))])
        db.commit()
        db.close()
        os.replace(tmp, out_path)
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    return result


def _flush(db: sqlite3.Connection, records: list[tuple[str, bytes]], packages: list[tuple[str, str, str]]) -> None:
    db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?)", records)
    db.executemany("INSERT INTO packages VALUES (?, ?, ?)", packages)
    records.clear()
    packages.clear()


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


# -------------------------------------------------------------------------------------- local sources

SNAPSHOT = Path(__file__).resolve().parents[2] / "data" / "advisories" / "pypi-snapshot.jsonl.gz"
"""PyPI advisories shipped in the package (built by scripts/build_advisory_snapshot.py from the PyPA advisory
database, CC-BY 4.0), so that a fresh install checks Python dependencies with no download."""
SNAPSHOT_FORMAT = 2


class SnapshotStore:
    """The shipped snapshot: a package index plus compact OSV records, parsed only for packages looked up (a
    scan of 30 requirements parses a few dozen of the 2,600 records).

    Format 2 is JSON Lines: the header with the index on the first line, one record per line after it. Only the
    header is parsed on load; parsing every record up front (format 1, one JSON document) cost ~45 ms of each
    scan that checks a single requirements file."""

    ecosystem = "PyPI"

    def __init__(self, path: Path = SNAPSHOT) -> None:
        import gzip

        header, *lines = gzip.decompress(path.read_bytes()).split(b"\n")
        data = json.loads(header)
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise OsvFormatError(f"{path}: not an advisory snapshot of format {SNAPSHOT_FORMAT}")
        self.date: str = str(data["date"])
        self.attribution: str = str(data.get("attribution", ""))
        self._packages: dict[str, list[int]] = data["packages"]
        self._raw: list[bytes] = lines
        self._parsed: dict[int, OsvRecord | None] = {}

    def lookup(self, ecosystem: str, key: str) -> list[OsvRecord]:
        if ecosystem != self.ecosystem:
            return []
        records = []
        for index in self._packages.get(key, ()):
            if index not in self._parsed:
                try:
                    self._parsed[index] = parse_record(json.loads(self._raw[index]))
                except (OsvFormatError, ValueError, IndexError):
                    self._parsed[index] = None
            record = self._parsed[index]
            if record is not None:
                records.append(record)
        return records


@record(frozen=False, slots=False)
class LoadedSources:
    stores: list[Any] = field(default_factory=list)
    """`AdvisoryStore`s: MemoryStore, SqliteStore or SnapshotStore."""
    names: list[str] = field(default_factory=list)
    """What each store is, with the date of its data where known (reports say which data was used)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cache_age_days: float | None = None
    ecosystems: set[str] | None = field(default_factory=set)
    """Ecosystems some store covers; None when a user-given source may hold any ecosystem."""
    snapshot_date: str | None = None
    """Set when the shipped snapshot was used: the date of its data (YYYY-MM-DD)."""


def load_sources(paths: Sequence[str], use_cache: bool) -> LoadedSources:
    """Every configured advisory path, plus the `db update` cache when `use_cache`. Corrupt files become
    diagnostics; the rest still loads."""
    loaded = LoadedSources()
    for raw in paths:
        _load_path(Path(raw), loaded)
    if paths and loaded.stores:
        loaded.ecosystems = None
    if use_cache:
        directory = osv_dir()
        oldest: float | None = None
        for ecosystem in ECOSYSTEMS:
            db_path = directory / f"{ecosystem}.sqlite"
            if not db_path.is_file():
                continue
            try:
                store = SqliteStore(db_path)
            except sqlite3.Error as exc:
                loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"advisory cache {db_path} is "
                                                f"unreadable ({_short(exc)}); run `faasguard db update`",
                                                str(db_path)))
                continue
            built = float(store.meta().get("built", "0") or 0)
            oldest = built if oldest is None else min(oldest, built)
            loaded.stores.append(store)
            day = time.strftime("%Y-%m-%d", time.gmtime(built)) if built else "an unknown date"
            loaded.names.append(f"OSV {ecosystem} export (cache, updated {day})")
            if loaded.ecosystems is not None:
                loaded.ecosystems.add(ecosystem)
        if oldest:
            loaded.cache_age_days = (time.time() - oldest) / 86_400
        if not paths:
            _add_snapshot(loaded)
    return loaded


def _add_snapshot(loaded: LoadedSources) -> None:
    """The shipped PyPI snapshot: the data of a scan that was given none. Not used beside advisory data the user
    named (`--advisories`) or a PyPI database `db update` cached after the snapshot was made: newer data may
    have withdrawn or corrected a record the snapshot still holds, and matching both would report it anyway."""
    if not SNAPSHOT.is_file():
        return
    try:
        snapshot = SnapshotStore()
    except (OSError, ValueError, KeyError, EOFError) as exc:
        loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"the shipped advisory snapshot is unreadable "
                                        f"({_short(exc)}); reinstall faasguard", str(SNAPSHOT)))
        return
    cached = [s for s in loaded.stores if isinstance(s, SqliteStore) and s.path.name == "PyPI.sqlite"]
    if cached and time.strftime("%Y-%m-%d", time.gmtime(float(cached[0].meta().get("built", "0") or 0))) \
            >= snapshot.date:
        return
    loaded.stores.append(snapshot)
    loaded.names.append(f"PyPA advisory database snapshot shipped with faasguard (data of {snapshot.date}; "
                        "CC-BY 4.0)")
    loaded.snapshot_date = snapshot.date
    if loaded.ecosystems is not None:
        loaded.ecosystems.add(SnapshotStore.ecosystem)


def _diag(kind: DiagnosticKind, message: str, path: str, level: DiagnosticLevel = DiagnosticLevel.WARNING,
          line: int = 1) -> Diagnostic:
    return Diagnostic(kind, message, Location(display_path(Path(path)), line), level, COMPONENT)


def missing_sources(paths: Sequence[str]) -> list[Diagnostic]:
    """One diagnostic per named advisory source that does not exist (an incomplete scan, see `Incomplete`)."""
    return [replace(_diag(DiagnosticKind.UNRESOLVED, f"advisory source {display_path(Path(raw))} does not exist",
                          raw), incomplete=Incomplete.ADVISORIES) for raw in paths if not Path(raw).exists()]


def _load_path(path: Path, loaded: LoadedSources) -> None:
    shown = display_path(path)
    if not path.exists():
        loaded.diagnostics.extend(missing_sources([str(path)]))
        return
    if path.is_dir():
        store = MemoryStore()
        files = sorted(p for p in path.rglob("*.json") if p.is_file() and not p.is_symlink())
        for file in files[:MAX_RECORD_FILES]:
            try:
                if file.stat().st_size > MAX_RECORD_BYTES:
                    raise OsvFormatError(f"over {MAX_RECORD_BYTES} bytes")
                _add_document(store, json.loads(file.read_bytes()))
            except json.JSONDecodeError as exc:
                loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"corrupt advisory file "
                                                f"{display_path(file)}: invalid JSON ({exc.msg}); skipped",
                                                str(file), line=exc.lineno))
            except (OsvFormatError, OSError, UnicodeDecodeError) as exc:
                loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"corrupt advisory file "
                                                f"{display_path(file)}: {_short(exc)}; skipped", str(file)))
        loaded.stores.append(store)
        loaded.names.append(shown)
        return
    if zipfile.is_zipfile(path):
        _load_zip(path, shown, loaded)
        return
    try:
        if path.stat().st_size > MAX_RECORD_BYTES * 16:
            raise OsvFormatError("file too large for a record file; give a zip or directory")
        store = MemoryStore()
        _add_document(store, json.loads(path.read_bytes()))
    except json.JSONDecodeError as exc:
        loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"corrupt advisory file {shown}: invalid "
                                        f"JSON ({exc.msg}); skipped", str(path), line=exc.lineno))
        return
    except (OsvFormatError, OSError, UnicodeDecodeError) as exc:
        loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"corrupt advisory file {shown}: "
                                        f"{_short(exc)}; skipped", str(path)))
        return
    loaded.stores.append(store)
    loaded.names.append(shown)


def _add_document(store: MemoryStore, data: Any) -> None:
    """A record, a list of records, or an API-shaped `{"vulns": [...]}`."""
    if isinstance(data, dict) and isinstance(data.get("vulns"), list):
        data = data["vulns"]
    for item in data if isinstance(data, list) else [data]:
        store.add(parse_record(item))


def _load_zip(path: Path, shown: str, loaded: LoadedSources) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if i.filename.endswith(".json") and not i.is_dir()]
            if len(infos) <= SMALL_ZIP_MEMBERS:
                store = MemoryStore()
                bad = []
                for info in infos:
                    try:
                        if info.file_size > MAX_RECORD_BYTES:
                            raise OsvFormatError(f"over {MAX_RECORD_BYTES} bytes")
                        _add_document(store, json.loads(zf.read(info)))
                    except (OsvFormatError, ValueError, OSError, zipfile.BadZipFile) as exc:
                        bad.append(f"{info.filename} ({_short(exc)})")
                _report_skipped(loaded, shown, str(path), bad)
                loaded.stores.append(store)
                loaded.names.append(shown)
                return
    except (zipfile.BadZipFile, OSError) as exc:
        loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"advisory archive {shown} is unreadable: "
                                        f"{_short(exc)}", str(path)))
        return
    stat = path.stat()
    digest = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    index = osv_dir() / f"index-{digest}.sqlite"
    try:
        if not index.is_file():
            index.parent.mkdir(parents=True, exist_ok=True)
            result = build_index(path, index, shown)
            _report_skipped(loaded, shown, str(path), result.skipped)
        loaded.stores.append(SqliteStore(index))
        loaded.names.append(shown)
    except (OSError, sqlite3.Error, AdvisoryError, zipfile.BadZipFile) as exc:
        loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"advisory archive {shown} could not be "
                                        f"indexed: {_short(exc)}", str(path)))


def _report_skipped(loaded: LoadedSources, shown: str, path: str, bad: list[str]) -> None:
    if bad:
        listed = "; ".join(bad[:3]) + (f"; and {len(bad) - 3} more" if len(bad) > 3 else "")
        loaded.diagnostics.append(_diag(DiagnosticKind.PARSE_ERROR, f"advisory archive {shown}: {len(bad)} corrupt "
                                        f"record file(s) skipped: {listed}", path))


# ------------------------------------------------------------------------------------------- network

def _request(url: str, timeout: float, body: bytes | None = None, max_bytes: int = MAX_API_RESPONSE) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise AdvisoryError(f"refusing to fetch {url!r}: only http(s) URLs are used")
    import urllib.error  # network modules only for the network paths: an offline scan never imports them
    import urllib.request

    headers = {"User-Agent": "faasguard", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            data: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise AdvisoryError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise AdvisoryError(f"{url} did not answer within {timeout:g} s") from None
        raise AdvisoryError(f"cannot reach {url}: {_short(reason if isinstance(reason, BaseException) else exc)}"
                            ) from None
    if len(data) > max_bytes:
        raise AdvisoryError(f"{url} sent more than {max_bytes} bytes")
    return data


def download(url: str, destination: Path, timeout: float,
             progress: Callable[[int], None] | None = None) -> int:
    """Stream `url` into `destination` (capped); returns the byte count."""
    if not url.startswith(("https://", "http://")):
        raise AdvisoryError(f"refusing to fetch {url!r}: only http(s) URLs are used")
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "faasguard"})  # noqa: S310
    total = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, destination.open("wb") as out:  # noqa: S310
            while chunk := response.read(1 << 20):
                total += len(chunk)
                if total > MAX_DOWNLOAD_BYTES:
                    raise AdvisoryError(f"{url} is larger than {MAX_DOWNLOAD_BYTES} bytes; stopped")
                out.write(chunk)
                if progress:
                    progress(total)
    except urllib.error.HTTPError as exc:
        raise AdvisoryError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except AdvisoryError:
        raise
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise AdvisoryError(f"{url} did not answer within {timeout:g} s") from None
        raise AdvisoryError(f"cannot download {url}: {_short(reason if isinstance(reason, BaseException) else exc)}"
                            ) from None
    return total


@record(frozen=False, slots=False)
class UpdateResult:
    ecosystem: str
    ok: bool
    message: str
    records: int = 0


def update_database(ecosystems: Iterable[str] = ECOSYSTEMS, base_url: str | None = None,
                    directory: Path | None = None, timeout: float = 60.0) -> list[UpdateResult]:
    """`faasguard db update`: download each ecosystem's OSV export and index it. An ecosystem that fails keeps
    its previous database."""
    import urllib.parse

    base = (base_url or export_url()).rstrip("/")
    directory = directory or osv_dir()
    directory.mkdir(parents=True, exist_ok=True)
    results = []
    for ecosystem in ecosystems:
        url = f"{base}/{urllib.parse.quote(ecosystem)}/all.zip"
        archive = directory / f".{ecosystem}-all.zip.download"
        try:
            size = download(url, archive, timeout)
            if not zipfile.is_zipfile(archive):
                raise AdvisoryError(f"{url} did not return a zip archive")
            indexed = build_index(archive, directory / f"{ecosystem}.sqlite", url)
            message = f"{indexed.records} advisories from {url} ({size / 1e6:.1f} MB)"
            if indexed.skipped:
                message += f"; {len(indexed.skipped)} corrupt record(s) skipped"
            results.append(UpdateResult(ecosystem, True, message, indexed.records))
        except (AdvisoryError, OSError, sqlite3.Error, zipfile.BadZipFile) as exc:
            kept = " (the previous database is kept)" if (directory / f"{ecosystem}.sqlite").is_file() else ""
            results.append(UpdateResult(ecosystem, False, f"{_short(exc)}{kept}"))
        finally:
            archive.unlink(missing_ok=True)
    return results


def query_online(packages: Sequence[tuple[str, str, str]], url: str | None = None,
                 timeout: float = 20.0) -> dict[tuple[str, str, str], list[OsvRecord]]:
    """Ask the OSV batch API about (ecosystem, name, version) triples; then fetch each vulnerability's record
    (the batch answer holds ids only). Raises `AdvisoryError` with a message for the user on any failure."""
    base = (url or api_url()).rstrip("/")
    ids_for: dict[tuple[str, str, str], list[str]] = {p: [] for p in packages}
    pending: list[tuple[tuple[str, str, str], str | None]] = [(p, None) for p in dict.fromkeys(packages)]
    rounds = 0
    while pending and rounds < 20:
        rounds += 1
        next_pending: list[tuple[tuple[str, str, str], str | None]] = []
        for start in range(0, len(pending), 1000):
            chunk = pending[start:start + 1000]
            queries = []
            for (ecosystem, name, version), token in chunk:
                query: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}, "version": version}
                if token:
                    query["page_token"] = token
                queries.append(query)
            answer = _json(_request(f"{base}/querybatch", timeout, json.dumps({"queries": queries}).encode()),
                           f"{base}/querybatch")
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(chunk):
                raise AdvisoryError(f"{base}/querybatch answered with {len(results or [])} results for "
                                    f"{len(chunk)} queries")
            for (package, _), result in zip(chunk, results, strict=True):
                if not isinstance(result, dict):
                    continue
                for vuln in result.get("vulns") or []:
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                        ids_for[package].append(vuln["id"])
                if isinstance(result.get("next_page_token"), str):
                    next_pending.append((package, result["next_page_token"]))
        pending = next_pending
    unique = sorted({i for ids in ids_for.values() for i in ids})
    records: dict[str, OsvRecord] = {}

    import urllib.parse

    def fetch(vuln_id: str) -> OsvRecord:
        vuln_url = f"{base}/vulns/{urllib.parse.quote(vuln_id, safe='')}"
        try:
            return parse_record(_json(_request(vuln_url, timeout), vuln_url))
        except OsvFormatError as exc:
            raise AdvisoryError(f"{vuln_url}: {exc}") from None

    if unique:
        import concurrent.futures  # online lookups only

        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(unique))) as pool:
            for vuln_id, record in zip(unique, pool.map(fetch, unique), strict=True):
                records[vuln_id] = record
    return {p: [records[i] for i in dict.fromkeys(ids)] for p, ids in ids_for.items()}


def _json(data: bytes, url: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise AdvisoryError(f"{url} answered with invalid JSON") from None
