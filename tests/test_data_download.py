"""Downloader against a local HTTP server, safe unzip, and the missing-dataset error."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import socket
import threading

import pytest

from causalrec.data import (
    DatasetNotFoundError,
    download_file,
    fixtures,
    get_spec,
    load_dataset,
    registry,
    resolve_data_dir,
    safe_extract,
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALREC_CACHE", str(tmp_path / "cache"))


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self):  # noqa: N802 (http.server API)
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1:<ephemeral>; yields (base_url, www, requests)."""
    www = tmp_path / "www"
    www.mkdir()
    requests: list[str] = []
    handler = type("Handler", (CountingHandler,), {"requests": requests})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(www))
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", www, requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/dataset.zip"


def test_download_verifies_and_reuses(server, tmp_path):
    base, www, requests = server
    archive = fixtures.write_zip(www / "tiny.zip", {"a.txt": "hello", "dir/b.txt": "world"})
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    dest = tmp_path / "downloads" / "tiny.zip"
    assert download_file(f"{base}/tiny.zip", dest, sha256=sha, progress=False) == dest
    assert dest.read_bytes() == archive.read_bytes()
    assert requests == ["/tiny.zip"]
    download_file(f"{base}/tiny.zip", dest, sha256=sha, progress=False)
    assert requests == ["/tiny.zip"]  # second call: no request at all
    assert sorted(p.name for p in dest.parent.iterdir()) == ["tiny.zip"]


def test_checksum_mismatch_is_clear_and_leaves_nothing(server, tmp_path):
    base, www, requests = server
    archive = fixtures.write_zip(www / "tiny.zip", {"a.txt": "hello"})
    actual = hashlib.sha256(archive.read_bytes()).hexdigest()
    folder = tmp_path / "downloads"
    url = f"{base}/tiny.zip"
    with pytest.raises(ValueError) as info:
        download_file(url, folder / "tiny.zip", sha256="0" * 64, progress=False)
    message = str(info.value)
    assert url in message and "0" * 64 in message and actual in message
    assert list(folder.iterdir()) == []  # no partial or temp file


def test_safe_extract_rejects_escaping_members(tmp_path):
    for bad in ("../evil", "sub/../../evil", "/abs/evil"):
        archive = fixtures.write_zip(tmp_path / "bad.zip", {"ok.txt": "fine", bad: "gotcha"})
        target = tmp_path / "target"
        with pytest.raises(ValueError, match="evil"):
            safe_extract(archive, target)
        assert not target.exists()  # nothing extracted, not even ok.txt
        assert not (tmp_path / "evil").exists()


def test_safe_extract_extracts_inside(tmp_path):
    archive = fixtures.write_zip(tmp_path / "ok.zip", {"a.txt": "x", "d/b.txt": "y"})
    files = safe_extract(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in files) == ["a.txt", "d/b.txt"]
    assert (tmp_path / "out" / "d" / "b.txt").read_text() == "y"


def test_missing_dataset_names_file_url_and_env(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("lastfm", empty)
    message = str(info.value)
    assert str(empty / "hetrec2011-lastfm-2k" / "user_artists.dat") in message
    assert get_spec("lastfm").url in message and "CAUSALREC_DATA" in message
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(DatasetNotFoundError, match="Also accepted instead: ml-1m-seq/ml-1m.txt"):
        load_dataset("ml-1m", empty)


def test_unreachable_url_gives_dataset_not_found(tmp_path, monkeypatch):
    url = closed_port_url()
    spec = dataclasses.replace(get_spec("kgrec-music"), url=url)
    monkeypatch.setitem(registry.DATASETS, "kgrec-music", spec)
    data_dir = tmp_path / "data"
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("kgrec-music", data_dir, download=True)
    message = str(info.value)
    expected = data_dir / "KGRec-dataset" / "KGRec-music" / "implicit_lf_dataset.csv"
    assert str(expected) in message and url in message and "CAUSALREC_DATA" in message
    assert "download failed" in message
    assert not any(p.is_file() for p in data_dir.rglob("*"))  # no temp file left behind


def test_download_extract_and_load_end_to_end(server, tmp_path, monkeypatch):
    base, www, requests = server
    fixtures.write_lastfm_zip(www / "hetrec2011-lastfm-2k.zip", tmp_path / "scratch")
    url = f"{base}/hetrec2011-lastfm-2k.zip"
    # the fixture files are not the real ones: the published inner checksums must reject them
    strict = dataclasses.replace(get_spec("lastfm"), url=url)
    monkeypatch.setitem(registry.DATASETS, "lastfm", strict)
    with pytest.raises(ValueError, match="user_artists.dat"):
        load_dataset("lastfm", tmp_path / "strict", download=True)
    monkeypatch.setitem(registry.DATASETS, "lastfm", dataclasses.replace(strict, sha256={}))
    data = load_dataset("lastfm", tmp_path / "data", download=True)
    assert (data.num_users, data.num_items, data.num_interactions) == (2, 6, 7)
    assert (tmp_path / "data" / "hetrec2011-lastfm-2k" / "artists.dat").is_file()
    assert len(requests) == 2
    load_dataset("lastfm", tmp_path / "data", download=True, cache=False)
    assert len(requests) == 2  # files present: no network


def test_resolve_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALREC_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_dir() == tmp_path / "env"
    monkeypatch.delenv("CAUSALREC_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_data_dir() == tmp_path / "home" / ".cache" / "causalrec"
