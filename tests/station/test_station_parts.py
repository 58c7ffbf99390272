"""The station's repository and image builder, without Odoo."""

import hashlib
import io
import os
import resource
import signal
import time

import pycdlib
import pytest

from media_station import repository as repository_module
from media_station.errors import ChecksumMismatch, IncompleteDownload, StationError, UnsafePath
from media_station.media import build_folder, build_iso
from media_station.paths import safe_join
from media_station.repository import Repository


def md5(data):
    return hashlib.md5(data).hexdigest()


def test_fetch_verifies_stores_by_md5_and_downloads_once(tmp_path, file_server):
    data = os.urandom(300_000)
    file_server.files["/setup.exe"] = data
    repo = Repository(tmp_path / "repo")
    path = repo.fetch(file_server.base + "/setup.exe", md5(data), len(data), name="setup.exe")
    assert open(path, "rb").read() == data
    assert os.path.basename(path) == md5(data)
    repo.fetch(file_server.base + "/setup.exe", md5(data), len(data))
    assert len(file_server.requests) == 1  # shared files are downloaded once


def test_interrupted_download_resumes_with_a_range(tmp_path, file_server):
    data = os.urandom(2_000_000)
    file_server.files["/big.iso"] = data
    file_server.cut_after = 700_000
    repo = Repository(tmp_path / "repo")
    with pytest.raises(IncompleteDownload) as cut:
        repo.fetch(file_server.base + "/big.iso", md5(data), len(data))
    assert cut.value.expected == len(data) and 0 < cut.value.received <= 700_000
    assert os.path.getsize(repo.path_for(md5(data)) + ".part") > 0
    path = repo.fetch(file_server.base + "/big.iso", md5(data), len(data))
    assert open(path, "rb").read() == data
    assert file_server.requests[-1][1].startswith("bytes=")


@pytest.mark.parametrize("direct", [True, False], ids=["direct-io", "page-cache"])
def test_blocks_survive_a_cut_in_the_middle_of_a_block(tmp_path, file_server, monkeypatch, direct):
    if not direct:  # as on a filesystem or system without direct I/O
        monkeypatch.setattr(repository_module, "DIRECT", 0)
    probe = repository_module._BlockWriter(tmp_path / "probe")
    probe.close()
    if probe.direct != direct:
        pytest.skip("this filesystem has no direct I/O")
    block = repository_module.BLOCK
    data = os.urandom(3 * block + block // 2 + 17)
    file_server.files["/title.iso"] = data
    cut = file_server.cut_after = block + block // 2 + 123
    repo = Repository(tmp_path / "repo")
    with pytest.raises(IncompleteDownload):
        repo.fetch(file_server.base + "/title.iso", md5(data), len(data))
    partial = repo.path_for(md5(data)) + ".part"
    kept = os.path.getsize(partial)
    assert block < kept <= cut  # received bytes past the last whole block kept
    assert open(partial, "rb").read() == data[:kept]
    path = repo.fetch(file_server.base + "/title.iso", md5(data), len(data))
    assert open(path, "rb").read() == data
    assert file_server.requests[-1][1] == f"bytes={kept}-"
    assert not os.path.exists(partial)


def test_a_file_of_many_blocks_is_stored_whole_as_it_was_received(tmp_path, file_server):
    # more blocks than the writer has buffers: each is received again once it is written
    data = os.urandom((2 * repository_module.DEPTH + 1) * repository_module.BLOCK + 4321)
    file_server.files["/title.iso"] = data
    seen = []
    repo = Repository(tmp_path / "repo", progress=lambda *args: seen.append(args))
    path = repo.fetch(file_server.base + "/title.iso", md5(data), len(data), name="title.iso")
    assert open(path, "rb").read() == data
    received = [offset for _label, offset, _size in seen]
    assert received == sorted(received) and received[-1] == len(data)
    assert {(label, size) for label, _offset, size in seen} == {("title.iso", len(data))}


def test_downloads_share_a_kept_alive_connection(tmp_path, file_server):
    blobs = {f"/f{i}": os.urandom(1_500_000 + i) for i in range(3)}
    file_server.files.update(blobs)
    repo = Repository(tmp_path / "repo")
    for name, data in blobs.items():
        assert open(repo.fetch(file_server.base + name, md5(data), len(data)), "rb").read() == data
    assert len(file_server.connections) == 3 and len(set(file_server.connections)) == 1


def test_redirects_are_followed_with_the_headers_of_the_download(tmp_path, file_server):
    data = os.urandom(1_500_000)
    file_server.files["/filestore/title.iso"] = data
    file_server.redirects["/web/content/7"] = file_server.base + "/filestore/title.iso"
    repo = Repository(tmp_path / "repo")
    path = repo.fetch(
        file_server.base + "/web/content/7", md5(data), len(data), headers={"Authorization": "bearer key"}
    )
    assert open(path, "rb").read() == data
    assert file_server.requests == [
        ("/web/content/7", None, "bearer key"),
        ("/filestore/title.iso", None, "bearer key"),  # the same host: requests keeps the header
    ]


@pytest.mark.parametrize("size_known", [True, False], ids=["size-known", "size-unknown"])
def test_chunked_body_without_length_is_stored_and_resumed_after_a_cut(tmp_path, file_server, size_known):
    data = os.urandom(3 * repository_module.BLOCK + 1000)
    file_server.files["/title.iso"] = data
    file_server.chunked = True
    file_server.cut_after = repository_module.BLOCK + 5000
    size = len(data) if size_known else None
    repo = Repository(tmp_path / "repo")
    with pytest.raises(IncompleteDownload) as cut:
        repo.fetch(file_server.base + "/title.iso", md5(data), size)
    # the end of the chunks never came: no length was announced, the manifest's when it has one
    assert cut.value.expected == (len(data) if size_known else "?")
    partial = repo.path_for(md5(data)) + ".part"
    kept = os.path.getsize(partial)
    assert 0 < kept <= repository_module.BLOCK + 5000
    assert open(partial, "rb").read() == data[:kept]
    path = repo.fetch(file_server.base + "/title.iso", md5(data), size)
    assert open(path, "rb").read() == data
    assert file_server.requests[-1][1] == f"bytes={kept}-"


def test_body_cut_before_its_content_length_is_incomplete_without_a_manifest_size(tmp_path, file_server):
    data = os.urandom(2_000_000)
    file_server.files["/setup.exe"] = data
    file_server.cut_after = 1_200_000
    repo = Repository(tmp_path / "repo")
    with pytest.raises(IncompleteDownload) as cut:
        repo.fetch(file_server.base + "/setup.exe", md5(data))  # the size comes from Content-Length
    assert cut.value.expected == len(data) and cut.value.received <= 1_200_000
    path = repo.fetch(file_server.base + "/setup.exe", md5(data))
    assert open(path, "rb").read() == data


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_gzip_encoded_body_is_stored_decoded(tmp_path, file_server, chunked):
    data = os.urandom(1_000_000) + bytes(2 * repository_module.BLOCK)
    file_server.files["/title.iso"] = data
    file_server.gzip = True
    file_server.chunked = chunked
    repo = Repository(tmp_path / "repo")
    path = repo.fetch(file_server.base + "/title.iso", md5(data), len(data))
    assert open(path, "rb").read() == data


def test_gzip_encoded_body_cut_short_is_resumed(tmp_path, file_server):
    data = os.urandom(600_000)
    file_server.files["/title.iso"] = data
    file_server.gzip = True
    file_server.cut_after = 300_000  # of the compressed body
    repo = Repository(tmp_path / "repo")
    with pytest.raises(IncompleteDownload):
        repo.fetch(file_server.base + "/title.iso", md5(data), len(data))
    path = repo.fetch(file_server.base + "/title.iso", md5(data), len(data))
    assert open(path, "rb").read() == data


def test_stalled_download_times_out_and_is_resumed(tmp_path, file_server):
    data = os.urandom(2 * repository_module.BLOCK + 999)
    file_server.files["/title.iso"] = data
    stall = file_server.stall_after = repository_module.BLOCK + repository_module.DOWNLOAD_CHUNK + 333
    repo = Repository(tmp_path / "repo", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(IncompleteDownload) as stalled:
        repo.fetch(file_server.base + "/title.iso", md5(data), len(data), name="title.iso")
    assert time.monotonic() - started < 10
    # what arrived is kept, but for the read the timeout interrupted
    assert stall - repository_module.DOWNLOAD_CHUNK < stalled.value.received <= stall
    assert "title.iso" in str(stalled.value)
    partial = repo.path_for(md5(data)) + ".part"
    assert open(partial, "rb").read() == data[: stalled.value.received]
    file_server.released.set()
    path = repo.fetch(file_server.base + "/title.iso", md5(data), len(data))
    assert open(path, "rb").read() == data
    assert file_server.requests[-1][1] == f"bytes={stalled.value.received}-"


def test_a_failed_block_write_is_a_storage_error_and_keeps_a_resumable_prefix(tmp_path, file_server):
    block = repository_module.BLOCK
    data = os.urandom(6 * block + 77)
    file_server.files["/title.iso"] = data
    repo = Repository(tmp_path / "repo")
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * block + block // 2, limits[1]))
    try:
        with pytest.raises(StationError, match=r"cannot store title\.iso: .*too large"):
            repo.fetch(file_server.base + "/title.iso", md5(data), len(data), name="title.iso")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    partial = repo.path_for(md5(data)) + ".part"
    kept = open(partial, "rb").read()
    assert 2 * block <= len(kept) <= 2 * block + block // 2 and kept == data[: len(kept)]
    path = repo.fetch(file_server.base + "/title.iso", md5(data), len(data))
    assert open(path, "rb").read() == data
    assert file_server.requests[-1][1] == f"bytes={len(kept)}-"


def test_part_left_complete_is_verified_without_downloading(tmp_path, file_server):
    data = os.urandom(100_000)
    file_server.files["/setup.exe"] = data
    repo = Repository(tmp_path / "repo")
    path = repo.path_for(md5(data))
    os.makedirs(os.path.dirname(path))
    with open(path + ".part", "wb") as handle:  # stopped between the last write and the rename
        handle.write(data)
    assert repo.fetch(file_server.base + "/setup.exe", md5(data), len(data)) == path
    assert file_server.requests == []
    assert open(path, "rb").read() == data


@pytest.mark.parametrize(
    "left, size_known",
    [("damaged", True), ("longer", True), ("longer", False), ("wrong range", False)],
)
def test_bad_part_from_an_earlier_attempt_is_downloaded_again(tmp_path, file_server, left, size_known):
    data = os.urandom(200_000)
    file_server.files["/setup.exe"] = data
    repo = Repository(tmp_path / "repo")
    path = repo.path_for(md5(data))
    os.makedirs(os.path.dirname(path))
    part = {
        "damaged": data[:-1] + b"!",
        "longer": data + b"trailing junk",
        "wrong range": data[:50_000],
    }[left]
    with open(path + ".part", "wb") as handle:
        handle.write(part)
    file_server.wrong_range = left == "wrong range"
    size = len(data) if size_known else None
    assert repo.fetch(file_server.base + "/setup.exe", md5(data), size) == path
    assert open(path, "rb").read() == data
    assert file_server.requests[-1][1] is None  # the last request was for the whole file


def test_damaged_file_is_refused_even_after_a_fresh_download(tmp_path, file_server):
    data = os.urandom(200_000)
    file_server.files["/setup.exe"] = data[:-8] + b"tampered"
    repo = Repository(tmp_path / "repo")
    path = repo.path_for(md5(data))
    os.makedirs(os.path.dirname(path))
    with open(path + ".part", "wb") as handle:
        handle.write(data[:100_000])
    with pytest.raises(ChecksumMismatch):
        repo.fetch(file_server.base + "/setup.exe", md5(data), len(data))
    assert [r[1] for r in file_server.requests] == ["bytes=100000-", None]
    assert not os.path.exists(path) and not os.path.exists(path + ".part")


def test_storage_errors_are_reported_with_the_file_name(tmp_path, file_server):
    file_server.files["/setup.exe"] = b"data"
    repo = Repository(tmp_path / "repo")
    path = repo.path_for(md5(b"data"))
    os.makedirs(path + ".part")  # a directory where the partial file goes
    with pytest.raises(StationError, match=r"cannot store setup\.exe"):
        repo.fetch(file_server.base + "/setup.exe", md5(b"data"), 4, name="setup.exe")


def test_corrupted_download_is_refused_and_never_kept(tmp_path, file_server):
    file_server.files["/setup.exe"] = b"tampered"
    repo = Repository(tmp_path / "repo")
    expected = md5(b"original")
    with pytest.raises(ChecksumMismatch) as caught:
        repo.fetch(file_server.base + "/setup.exe", expected, name="setup.exe")
    assert caught.value.expected == expected and caught.value.actual == md5(b"tampered")
    assert "setup.exe" in str(caught.value)
    assert not repo.has(expected)
    assert not os.path.exists(repo.path_for(expected) + ".part")


def test_verify_and_prune(tmp_path, file_server):
    repo = Repository(tmp_path / "repo")
    for name, data in (("/a", b"a" * 10), ("/b", b"b" * 10)):
        file_server.files[name] = data
        repo.fetch(file_server.base + name, md5(data))
    old = repo.path_for(md5(b"a" * 10))
    os.utime(old, (time.time() - 40 * 86400,) * 2)
    assert all(ok for _md5, ok in repo.verify())
    with open(repo.path_for(md5(b"b" * 10)), "ab") as handle:
        handle.write(b"!")
    assert [m for m, ok in repo.verify() if not ok] == [md5(b"b" * 10)]
    assert repo.prune(max_age_days=30, keep=[md5(b"b" * 10)]) == [md5(b"a" * 10)]


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs", "a/../../b", "ok\\..\\bad", "c:/win", "", "a//b"])
def test_hostile_manifest_names_are_refused(tmp_path, name):
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, name)


def test_iso_image_holds_the_files_under_their_joliet_names(tmp_path):
    files = []
    for media_path, data in (("setup/CADStudio-2025 Installer.exe", b"x" * 5000), ("README.txt", b"read me")):
        local = tmp_path / md5(data)
        local.write_bytes(data)
        files.append((media_path, str(local)))
    out = build_iso(files, "CAD Studio 2025", str(tmp_path / "kit.iso"))
    iso = pycdlib.PyCdlib()
    iso.open(out)
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "CAD_STUDIO_2025"
        buffer = io.BytesIO()
        iso.get_file_from_iso_fp(buffer, joliet_path="/setup/CADStudio-2025 Installer.exe")
        assert buffer.getvalue() == b"x" * 5000
        names = [c.file_identifier().decode("utf-16-be") for c in iso.list_children(joliet_path="/")]
        assert "README.txt" in names
    finally:
        iso.close()
    with pytest.raises(UnsafePath):
        build_iso([("../escape.txt", files[1][1])], "X", str(tmp_path / "bad.iso"))


def test_usb_folder_image(tmp_path):
    local = tmp_path / "data"
    local.write_bytes(b"usb content")
    out = build_folder([("tools/run.sh", str(local))], str(tmp_path / "usb"))
    assert (tmp_path / "usb" / "tools" / "run.sh").read_bytes() == b"usb content"
    assert out == str(tmp_path / "usb")


def test_long_volume_names_fit_both_descriptors(tmp_path):
    local = tmp_path / "f"
    local.write_bytes(b"x")
    out = build_iso([("f.txt", str(local))], "CAD Studio 2025 Professional Edition", str(tmp_path / "k.iso"))
    iso = pycdlib.PyCdlib()
    iso.open(out)
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "CAD_STUDIO_2025_"
    finally:
        iso.close()


def test_parallel_fetch_keeps_the_manifest_order_and_raises_the_first_failure(tmp_path, file_server):
    blobs = {f"/f{i}": os.urandom(50_000 + i) for i in range(5)}
    file_server.files.update(blobs)
    repo = Repository(tmp_path / "repo")
    entries = [
        {"url": file_server.base + name, "md5": md5(data), "name": name} for name, data in blobs.items()
    ]
    paths = repo.fetch_many(entries, parallel=3)
    assert [open(p, "rb").read() for p in paths] == list(blobs.values())
    file_server.files["/bad"] = b"corrupt"
    with pytest.raises(ChecksumMismatch):
        repo.fetch_many(
            [*entries, {"url": file_server.base + "/bad", "md5": md5(b"good"), "name": "bad"}], parallel=3
        )
