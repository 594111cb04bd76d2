"""How untrusted text leaves the scanner: file names, YAML strings and code all come from the pull request.

Three outputs, three rules, one source of truth (docs/reports.md "Escaping"):

* `path_text` — a path as text, for JSON and the console. POSIX file names are bytes; Python hands us the bytes
  that are not UTF-8 as lone surrogates (U+DC80–U+DCFF, `surrogateescape`), which no UTF-8 encoder accepts. Each
  such byte is written `\\xHH` and a literal backslash `\\\\`, so every distinct name keeps a distinct spelling and
  the result is always valid Unicode. A name without either is unchanged.
* `uri_path` — a path for a SARIF `artifactLocation.uri`: RFC 3986 percent-encoding of the raw bytes, so a
  consumer that decodes it gets the exact file name back.
* `console_text` — any string bound for a terminal: control characters (C0, DEL, C1), line and paragraph
  separators, bidirectional and other invisible format characters are written as `\\xHH` / `\\uHHHH`, so a YAML
  value or a file name cannot clear the screen, move the cursor, forge a report line, open an OSC-8 hyperlink or
  reorder what is shown (Trojan Source). A tab is kept: it moves nothing but the column.

`json_safe` is the last line for any other string in a JSON document: lone surrogates become `\\xHH` / `\\uHHHH`
so that the report encodes as UTF-8 instead of failing half-written.

The streams themselves may not speak Unicode: `PYTHONIOENCODING=ascii`, `LC_ALL=C` with `PYTHONUTF8=0`, a
Latin-1 locale or a Windows code page give a stdout that raises UnicodeEncodeError on the first `│` of a snippet
or `→` of a message, and a scan that found everything would die with a traceback. `write_document` writes a
document format (JSON, SARIF, HTML, XML, a diff: UTF-8 by definition) as UTF-8 bytes whatever the locale says;
`for_stream` turns console text into what the stream can show (ASCII look-alikes, then `?`); and
`tolerant_streams` makes every other message (a file name on stderr) degrade to `\\uHHHH` instead of raising.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from collections.abc import Mapping
from typing import TextIO
from urllib.parse import quote

_SURROGATE = re.compile("[\ud800-\udfff]")
_PATH_SPECIAL = re.compile("[\\\\\ud800-\udfff]")


def _surrogate(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # one undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def _path_char(match: re.Match[str]) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else _surrogate(char)


def path_text(path: str) -> str:
    """Unambiguous, valid-Unicode spelling of a path: undecodable bytes `\\xHH`, a backslash `\\\\`."""
    return _PATH_SPECIAL.sub(_path_char, path)


def json_safe(text: str) -> str:
    """`text` with lone surrogates escaped, so that it can be encoded as UTF-8."""
    return _SURROGATE.sub(lambda m: _surrogate(m.group()), text)


def json_document_safe(serialized: str) -> str:
    """A serialized JSON document with any lone surrogate left in its strings written as the JSON text
    `\\\\xHH` (a backslash, then `xHH`) — what `json_safe` gives, once JSON-encoded. Surrogates can only be
    inside strings (JSON's syntax is ASCII), so this never touches structure."""
    if not _SURROGATE.search(serialized):
        return serialized
    return _SURROGATE.sub(lambda m: "\\" + _surrogate(m.group()), serialized)


def path_bytes(path: str) -> bytes:
    """The file name's bytes as the file system has them (the inverse of `os.fsdecode`); a lone surrogate that
    is not an undecodable byte (only possible from a template's text, never from the file system) is kept as
    its UTF-8-style encoding rather than raising."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogatepass")


def uri_path(path: str) -> str:
    """RFC 3986 percent-encoding of the raw bytes of a POSIX path, `/` kept as the separator."""
    return quote(path_bytes(path), safe="/")


_NAMED = {"\n": "\\n", "\r": "\\r"}


def _unsafe_for_terminal(char: str) -> bool:
    if char == "\t":
        return False
    if char.isprintable():
        return False
    return unicodedata.category(char) != "Zs"  # a no-break or wide space is only a space


def console_text(text: str) -> str:
    """`text` with every character that could act on a terminal written as an escape (see the module doc)."""
    if text.isprintable():  # the common case: nothing to do (tabs and spaces are printable or handled below)
        return text
    out = []
    for char in text:
        if not _unsafe_for_terminal(char):
            out.append(char)
            continue
        code = ord(char)
        if char in _NAMED:
            out.append(_NAMED[char])
        elif 0xD800 <= code <= 0xDFFF:
            out.append(_surrogate(char))
        elif code < 0x80:  # C0 and DEL; above, \\xHH would read like an undecodable byte of a file name
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def console_path(path: str) -> str:
    """A path for a terminal: the report spelling (`path_text`), then terminal escaping."""
    return console_text(path_text(path))


def workflow_data(text: str) -> str:
    """Text for the message of a GitHub Actions workflow command (`::error ...::MESSAGE`): each line
    terminal-escaped (so no raw line break or CR can start a forged `::command::` line), then joined with the
    runner's own encoded line break `%0A`, and `%` encoded."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "%0A".join(console_text(line).replace("%", "%25") for line in lines)


def workflow_property(text: str) -> str:
    """A property value of a workflow command (`file=`, `title=`): `workflow_data`, and `:` and `,`, which
    would end the value, percent-encoded."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


_SECRET_NAME = re.compile(r"(?i)(secret|token|passw|credential|private|api_?key|access_?key|session|auth|"
                          r"_key$|^key$|cookie|signature|webhook|dsn)")
MASK = "****"


def environment_secrets(environ: Mapping[str, str], resolved: set[str]) -> list[str]:
    """The environment values no report may show: every value the scan resolved from the environment, and the
    value of every variable whose name says it is a credential (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`...),
    whatever route might carry it. Short values are left alone: masking `dev` everywhere would mangle the
    report and protect nothing."""
    values = {v for v in resolved if len(v) >= 6}
    values |= {v for name, v in environ.items() if len(v) >= 8 and _SECRET_NAME.search(name)}
    return sorted(values, key=len, reverse=True)


_ASCII_LOOKALIKES = str.maketrans({"│": "|", "→": "->", "—": "--", "–": "-", "…": "...", "×": "x", "·": "*",
                                   "−": "-", "•": "*", "✓": "ok", "✗": "x"})


def speaks_unicode(stream: TextIO) -> bool:
    """Whether `stream` takes every character: a UTF codec, or no encoding at all (an in-memory text stream
    such as `io.StringIO` holds any `str`); an encoding Python does not know counts as not."""
    encoding = getattr(stream, "encoding", None)
    if encoding is None:
        return True
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def for_stream(text: str, stream: TextIO) -> str:
    """`text` as `stream` can write it: unchanged on a UTF stream, else with ASCII look-alikes for the report's
    own glyphs and `?` for any other character its encoding lacks (a code line in Greek on a Latin-1 terminal)."""
    if speaks_unicode(stream):
        return text
    encoding = stream.encoding
    try:
        return text.translate(_ASCII_LOOKALIKES).encode(encoding, "replace").decode(encoding)
    except LookupError:
        return text.translate(_ASCII_LOOKALIKES).encode("ascii", "replace").decode("ascii")


def write_document(text: str, stream: TextIO | None = None) -> None:
    """Write a UTF-8 document to `stream` (default stdout): through its text layer when that speaks Unicode,
    else as UTF-8 bytes to its binary layer, so `--format json > out.json` is valid JSON in any locale."""
    stream = stream or sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None or speaks_unicode(stream):
        stream.write(text)
        return
    stream.flush()
    buffer.write(text.encode("utf-8", "backslashreplace"))
    buffer.flush()


def tolerant_streams() -> None:
    """Make stdout and stderr write `\\uHHHH` for a character their encoding lacks instead of raising: a
    message naming a scanned file is worth more degraded than a traceback in its place."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and not speaks_unicode(stream):
            reconfigure(errors="backslashreplace")
