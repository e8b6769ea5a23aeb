"""Data directory resolution, checksummed downloads and safe unzipping (DESIGN.md §3).

Nothing here is called at import time and nothing touches the network unless the caller
asks for a download (``download=True``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from tqdm.auto import tqdm

if TYPE_CHECKING:  # pragma: no cover
    from causalrec.data.registry import DatasetSpec, Source

log = logging.getLogger(__name__)

DATA_ENV = "CAUSALREC_DATA"
CHUNK = 1 << 16


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's raw files are missing and could not be downloaded."""


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """Data directory: explicit argument > ``$CAUSALREC_DATA`` > ``~/.cache/causalrec``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "causalrec"


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_id(path: str | Path) -> str:
    """``git hash-object`` of a file: SOURCES.md identifies the canonical copies this way."""
    path = Path(path)
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(
    url: str, dest: str | Path, sha256: str | None = None, progress: bool = True
) -> Path:
    """Stream ``url`` to ``dest`` through a temp file in the same folder, then rename.

    If ``dest`` exists and matches ``sha256`` (or no hash is given) it is reused without
    any network access. A checksum mismatch deletes the temp file and raises
    ``ValueError`` naming the url, the expected and the actual hash.
    """
    dest = Path(dest)
    if dest.is_file():
        if sha256 is None:
            log.info("reusing %s (no checksum to verify)", dest)
            return dest
        actual = sha256_file(dest)
        if actual == sha256:
            log.info("reusing %s (sha256 verified)", dest)
            return dest
        log.warning("%s has sha256 %s, expected %s: downloading again", dest, actual, sha256)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        log.info("downloading %s -> %s", url, dest)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name,
                      disable=not progress, leave=False) as bar:
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256:
            raise ValueError(
                f"checksum mismatch for {url}: expected sha256 {sha256}, got {actual}; "
                "the partial download was deleted"
            )
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def _unsafe_member(name: str, root: Path) -> bool:
    """True when a zip member name is absolute or resolves outside ``root``."""
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or ":" in name:
        return True
    if name.startswith(("/", "\\")):
        return True
    resolved = (root / name).resolve()
    return not resolved.is_relative_to(root)


def safe_extract(zip_path: str | Path, target: str | Path) -> list[Path]:
    """Extract a zip into ``target`` after checking every member stays inside it.

    Any member that is absolute or escapes ``target`` (``../``) raises ``ValueError``
    naming it, before anything is written.
    """
    target = Path(target)
    root = target.resolve()
    with zipfile.ZipFile(zip_path) as archive:
        members = archive.infolist()
        for member in members:
            if _unsafe_member(member.filename, root):
                raise ValueError(
                    f"refusing to extract {zip_path}: member {member.filename!r} would be "
                    f"written outside {target}"
                )
        target.mkdir(parents=True, exist_ok=True)
        archive.extractall(target)
    return [target / m.filename for m in members if not m.is_dir()]


def verify_files(
    spec: DatasetSpec, data_dir: str | Path, under: str | None = None
) -> dict[str, bool]:
    """Check every present file of ``spec`` that has a known sha256 or git blob id
    (only those below the folder ``under`` when given).

    Returns ``{relative path: matches}`` for the files that could be checked.
    """
    data_dir = Path(data_dir)
    report: dict[str, bool] = {}
    checks: list[tuple[Mapping[str, str | None], object]] = [
        (spec.sha256, sha256_file), (spec.git_blobs, git_blob_id)
    ]
    for table, hasher in checks:
        for rel, expected in table.items():
            path = data_dir / rel
            if under is not None and not rel.startswith(under.rstrip("/") + "/"):
                continue
            if expected and path.is_file():
                ok = hasher(path) == expected  # type: ignore[operator]
                report[rel] = report.get(rel, True) and ok
    return report


def fetch_archive(spec: DatasetSpec, data_dir: str | Path, progress: bool = True) -> Path:
    """Download ``spec.url`` into ``data_dir``, unzip it safely and verify known checksums."""
    if not spec.url:
        raise OSError(f"{spec.name} has no download URL")
    data_dir = Path(data_dir)
    archive = data_dir / (Path(urlparse(spec.url).path).name or f"{spec.name}.zip")
    download_file(spec.url, archive, spec.archive_sha256, progress=progress)
    safe_extract(archive, data_dir / spec.extract_to)
    bad = [rel for rel, ok in verify_files(spec, data_dir, spec.folder).items() if not ok]
    if bad:
        raise ValueError(
            f"{spec.name}: files unpacked from {spec.url} do not match their published "
            f"checksums: {', '.join(bad)}"
        )
    return archive


def missing_message(spec: DatasetSpec, data_dir: Path, source: Source, error: object = None) -> str:
    """The one error message for a dataset that is not there (file, URL, env var)."""
    missing = next((f for f in source.files if not source.has_file(data_dir, f)), source.files[0])
    message = f"{spec.name}: expected {data_dir / missing}."
    if spec.url:
        message += f" Download {spec.url} and unzip it into {data_dir / spec.extract_to}, or"
    else:
        message += " Place the file there, or"
    message += f" set {DATA_ENV} to a folder that holds {spec.folder}/"
    message += " (or pass download=True)." if spec.url else "."
    others = [s for s in spec.sources if s is not source]
    if others:
        alternatives = "; ".join(" + ".join(s.files) for s in others)
        message += f" Also accepted instead: {alternatives}."
    if error is not None:
        message += f" The download failed: {error}."
    return message


def ensure_dataset(
    spec: DatasetSpec, data_dir: str | Path, download: bool = False, variant: str = "auto"
) -> Source:
    """Make sure the raw files of ``spec`` are present; return the source that will be read.

    Sources are tried in the spec's order (``variant`` forces one). The first source is
    the official archive: when it is missing and ``download`` is True it is fetched;
    when that is impossible a later source (e.g. ML-1M sequences) is used if present,
    else ``DatasetNotFoundError`` names the expected file, the URL and ``CAUSALREC_DATA``.
    """
    data_dir = Path(data_dir)
    candidates = spec.sources_for(variant)
    primary = candidates[0]
    if primary.present(data_dir):
        return primary
    error: object = None
    if download and spec.url and primary is spec.sources[0]:
        try:
            fetch_archive(spec, data_dir)
        except (urllib.error.URLError, OSError, zipfile.BadZipFile) as exc:
            error = exc
            log.warning("%s: download of %s failed: %s", spec.name, spec.url, exc)
        else:
            if primary.present(data_dir):
                return primary
            error = f"the archive did not contain {', '.join(primary.files)}"
    for source in candidates[1:]:
        if source.present(data_dir):
            log.info("%s: %s not found, loading %s instead", spec.name, primary.files[0],
                     source.files[0])
            return source
    raise DatasetNotFoundError(missing_message(spec, data_dir, primary, error))
