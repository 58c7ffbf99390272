"""What each robot driver writes, byte for byte, and what it refuses to write."""

import os

import pytest

from media_station.errors import StationError
from media_station.paths import safe_name
from media_station.robots import (
    FolderDriver,
    Order,
    PTBurnDriver,
    RimageDriver,
    UnsafeOrderValue,
    make_driver,
)
from media_station.robots.base import DONE, ERROR, PRODUCING, QUEUED, TIMEOUT

LABEL = {
    # in Odoo's order (a dict): the drivers put them in the label designs' order
    "barcode": "SO0042-CADS-MEDIA-DVD",
    "customer": "Northwind Engineering",
    "order": "SO0042",
    "part_number": "CADS-MEDIA-DVD",
    "title": "CAD Studio",
    "version": "2025.2",
}


def order_for(work, **changes):
    values = {
        "name": "MPJ_00012",
        "job_id": 12,
        "image": os.path.join(work, "MPJ_00012.iso"),
        "is_disc": True,
        "volume": "CAD_STUDIO_SO004",
        "copies": 3,
        "label": LABEL,
        "label_pdf": "",
        "work": str(work),
        "media": "dvd",
    }
    values.update(changes)
    return Order(**values)


@pytest.fixture
def work(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    return str(folder)


def test_ptburn_job_request_is_written_as_the_sdk_specifies(tmp_path, work):
    driver = PTBurnDriver(
        tmp_path / "PTBurnJobs",
        work=work,
        robot_work="\\\\STATION\\work",
        label_template="C:\\Labels\\media-kit.std",
        client="EU1@station-1",
        name="Disc Publisher XRP",
    )
    driver.submit(order_for(work))
    assert sorted(os.listdir(tmp_path / "PTBurnJobs")) == ["MPJ_00012.JRQ"]
    assert (tmp_path / "PTBurnJobs" / "MPJ_00012.JRQ").read_bytes() == (
        b"JobID=MPJ_00012\r\n"
        b"ClientID=EU1@station-1\r\n"
        b"ImageFile=\\\\STATION\\work\\MPJ_00012.iso\r\n"
        b"Copies=3\r\n"
        b"VolumeName=CAD_STUDIO_SO004\r\n"
        b"VerifyDisc=YES\r\n"
        b"RejectIfNotBlank=YES\r\n"
        b"PrintLabel=C:\\Labels\\media-kit.std\r\n"
        b"MergeField=SO0042\r\n"
        b"MergeField=CADS-MEDIA-DVD\r\n"
        b"MergeField=CAD Studio\r\n"
        b"MergeField=2025.2\r\n"
        b"MergeField=Northwind Engineering\r\n"
        b"MergeField=SO0042-CADS-MEDIA-DVD\r\n"
        b"RobotName=Disc Publisher XRP\r\n"
    )
    assert os.listdir(work) == []  # PTBurn reads everything from the job request
    assert driver.state("MPJ_00012") == QUEUED


def test_ptburn_without_a_label_design_prints_nothing_and_never_asks_for_the_pdf(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work, client="")
    assert not driver.wants_label_pdf()
    content = driver.render(order_for(work, copies=1))["MPJ_00012.JRQ"]
    assert b"PrintLabel" not in content and b"MergeField" not in content
    assert b"ClientID=media_station\r\n" in content  # 2.1.2: a ClientID is needed to abort a job
    assert content.endswith(b"RejectIfNotBlank=YES\r\n")


def test_ptburn_unicode_job_request_is_utf16_with_a_byte_order_mark(tmp_path, work):
    driver = PTBurnDriver(
        tmp_path / "hot", work=work, label_template="D:\\L.std", client="EU1", encoding="utf-16"
    )
    label = {**LABEL, "customer": "Müller Straße GmbH"}
    content = driver.render(order_for(work, label=label, copies=1))["MPJ_00012.JRQ"]
    assert content.startswith(b"\xff\xfe")
    text = content[2:].decode("utf-16-le")
    assert "MergeField=Müller Straße GmbH\r\n" in text
    assert text.startswith("JobID=MPJ_00012\r\nClientID=EU1\r\n")


def test_rimage_order_with_the_label_rendered_by_odoo(tmp_path, work):
    driver = RimageDriver(tmp_path / "NWP", work=work)
    assert driver.wants_label_pdf()
    pdf = os.path.join(work, "MPJ_00012.label.pdf")
    driver.submit(order_for(work, label_pdf=pdf))
    assert (tmp_path / "NWP" / "MPJ_00012.NWP").read_bytes() == (
        f"order_id=MPJ_00012\r\nfiletype=IMAGE\r\nfile={work}/MPJ_00012.iso\r\nlabel={pdf}\r\ncopies=3\r\n".encode()
    )


def test_rimage_order_with_the_sites_label_design_and_a_merge_file(tmp_path, work):
    driver = RimageDriver(
        tmp_path / "NWP", work=work, robot_work="R:\\media\\work", label_template="R:\\labels\\kit.btw"
    )
    assert not driver.wants_label_pdf()
    driver.submit(order_for(work))
    assert (tmp_path / "NWP" / "MPJ_00012.NWP").read_bytes() == (
        b"order_id=MPJ_00012\r\n"
        b"filetype=IMAGE\r\n"
        b"file=R:\\media\\work\\MPJ_00012.iso\r\n"
        b"label=R:\\labels\\kit.btw\r\n"
        b"merge=R:\\media\\work\\MPJ_00012.merge.txt\r\n"
        b"copies=3\r\n"
    )
    assert open(os.path.join(work, "MPJ_00012.merge.txt"), "rb").read() == (
        b"SO0042\r\nCADS-MEDIA-DVD\r\nCAD Studio\r\n2025.2\r\nNorthwind Engineering\r\nSO0042-CADS-MEDIA-DVD\r\n"
    )


def test_folder_order_keeps_the_stations_own_format(tmp_path, work):
    driver = FolderDriver(tmp_path / "usb", work=work)
    folder = os.path.join(work, "MPJ_00012")
    driver.submit(order_for(work, image=folder, is_disc=False, volume="CADSTUDIO", media="usb", copies=2))
    assert (tmp_path / "usb" / "MPJ_00012.ord").read_bytes() == (
        f"JobID=12\nOrderID=SO0042\nFolder={folder}\nVolumeName=CADSTUDIO\n"
        f"MergeFile={work}/MPJ_00012.label.txt\nLabelFile=\nCopies=2\nMedia=usb\n"
    ).encode()
    assert open(os.path.join(work, "MPJ_00012.label.txt"), "rb").read() == (
        b"order=SO0042\npart_number=CADS-MEDIA-DVD\ntitle=CAD Studio\nversion=2025.2\n"
        b"customer=Northwind Engineering\nbarcode=SO0042-CADS-MEDIA-DVD\n"
    )


@pytest.mark.parametrize(
    "value, message",
    [
        ("Evil\r\nImageFile=C:\\other.iso", "cannot be written"),
        ("line\nbreak", "cannot be written"),
        ("nul\x00byte", "cannot be written"),
        ("A=B", "'='"),
        ('15" edition', "'\"'"),  # PTBurn writes merge fields "quoted" into the design's merge file
        ("Müller", "outside ASCII"),
    ],
)
def test_ptburn_refuses_label_text_its_job_request_cannot_carry(tmp_path, work, value, message):
    driver = PTBurnDriver(tmp_path / "hot", work=work, label_template="C:\\L.std", client="EU1")
    with pytest.raises(UnsafeOrderValue, match=message) as refused:
        driver.submit(order_for(work, label={**LABEL, "customer": value}))
    assert "customer" in str(refused.value)
    assert os.listdir(tmp_path / "hot") == []  # nothing half-written reaches the robot


@pytest.mark.parametrize("value", ["Evil\r\ncopies=999", "Müller", "tab\there", "form\x0cfeed"])
def test_rimage_refuses_merge_text_its_files_cannot_carry(tmp_path, work, value):
    driver = RimageDriver(tmp_path / "hot", work=work, label_template="R:\\kit.btw")
    with pytest.raises(UnsafeOrderValue):
        driver.submit(order_for(work, label={**LABEL, "title": value}))
    assert os.listdir(tmp_path / "hot") == []


def test_semicolons_and_quotes_in_label_text_are_kept_where_the_format_allows_them(tmp_path, work):
    # a line always starts with its key: ';' cannot turn one into an INI comment; a merge
    # file line is a value, '=' and quotes are text there
    text = 'R&D; "Pro" edition, A=B'
    driver = RimageDriver(tmp_path / "hot", work=work, label_template="R:\\kit.btw")
    merge = driver.render(order_for(work, label={"title": text}))["MPJ_00012.merge.txt"]
    assert merge == f"{text}\r\n".encode()
    ptburn = PTBurnDriver(tmp_path / "hot", work=work, label_template="C:\\L.std")
    assert (
        b"MergeField=R&D; Pro\r\n"
        in ptburn.render(order_for(work, label={"title": "R&D; Pro"}))["MPJ_00012.JRQ"]
    )


def test_hostile_job_and_volume_names_become_safe_file_names_and_values(tmp_path, work):
    name = safe_name('WH/SO"0001;=é\r\nImageFile=x')
    assert name == "WH_SO_0001_____ImageFile_x"
    driver = PTBurnDriver(tmp_path / "hot", work=work)
    driver.submit(order_for(work, name=name, image=os.path.join(work, f"{name}.iso")))
    assert os.listdir(tmp_path / "hot") == [f"{name}.JRQ"]
    content = (tmp_path / "hot" / f"{name}.JRQ").read_bytes()
    assert content.count(b"\r\n") == 7 and content.startswith(b"JobID=WH_SO_0001_____ImageFile_x\r\n")
    with pytest.raises(UnsafeOrderValue, match="volume name"):
        driver.render(order_for(work, volume="VOL\r\nCopies=99"))
    with pytest.raises(UnsafeOrderValue, match="32 characters"):
        driver.render(order_for(work, volume="V" * 33))


def test_ptburn_job_id_is_cut_to_32_characters_and_copies_are_bounded(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work)
    long_name = "MPJ_" + "9" * 40
    content = driver.render(order_for(work, name=long_name))[f"{long_name}.JRQ"]
    assert content.startswith(f"JobID={long_name[:32]}\r\n".encode())
    for copies in (0, 10_001):
        with pytest.raises(UnsafeOrderValue, match="1 to 10000"):
            driver.render(order_for(work, copies=copies))


def test_image_paths_that_would_break_the_order_line_are_refused(tmp_path):
    work = tmp_path / "work,2"
    work.mkdir()
    driver = PTBurnDriver(tmp_path / "hot", work=str(work))
    # 2.1.6: "ImageFile = Filename, SessionX": a comma would start a session number
    with pytest.raises(UnsafeOrderValue, match="image path"):
        driver.render(order_for(str(work)))


def test_disc_robots_refuse_usb_media_before_anything_is_built(tmp_path, work):
    for kind in ("ptburn", "rimage"):
        with pytest.raises(StationError, match="robot = folder"):
            make_driver(kind, tmp_path / kind, work=work).check_media(False)
    make_driver("folder", tmp_path / "usb", work=work).check_media(False)
    with pytest.raises(ValueError, match="ptburn, rimage, folder"):
        make_driver("epson", tmp_path / "x")


def test_result_files_are_found_whatever_the_case_of_their_extension(tmp_path, work):
    driver = RimageDriver(tmp_path / "hot", work=work)
    order = order_for(work)
    for ext, state in ((".nwp", QUEUED), (".Inp", PRODUCING), (".don", DONE)):
        for entry in os.listdir(tmp_path / "hot"):
            os.unlink(tmp_path / "hot" / entry)
        (tmp_path / "hot" / f"MPJ_00012{ext}").write_bytes(b"")
        assert driver.state("MPJ_00012") == state
    (tmp_path / "hot" / "MPJ_00012.don").unlink()
    (tmp_path / "hot" / "MPJ_00012.err").write_bytes(b"")
    (tmp_path / "hot" / "MPJ_00012.log").write_bytes(b"\r\nDrive 2: media not blank\r\nOrder MPJ_00012\r\n")
    assert driver.state("MPJ_00012") == ERROR
    result = driver.result(order)
    assert (result.state, result.reason) == (ERROR, "Drive 2: media not blank")
    assert driver.state("MPJ_0001") is None  # another order's files are not this one's


def test_an_unfinished_earlier_order_is_withdrawn_before_a_new_one(tmp_path, work):
    driver = RimageDriver(tmp_path / "hot", work=work)
    (tmp_path / "hot" / "MPJ_00012.NWP").write_bytes(b"order_id=MPJ_00012\r\n")
    (tmp_path / "hot" / "MPJ_00012.ERR").write_bytes(b"")
    (tmp_path / "hot" / "MPJ_00012.LOG").write_bytes(b"old failure")
    driver.clear("MPJ_00012")
    assert os.listdir(tmp_path / "hot") == []


def test_a_robot_that_does_not_answer_times_out_and_the_order_is_taken_back(tmp_path, work):
    driver = RimageDriver(tmp_path / "hot", work=work)
    order = order_for(work)
    driver.submit(order)
    result = driver.wait(order, timeout=0.3, poll=0.05)
    assert result.state == TIMEOUT and "withdrawn" in result.reason
    assert os.listdir(tmp_path / "hot") == []


def test_an_earlier_ptburn_job_still_running_is_aborted_and_its_leftovers_removed(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work, client="EU1")
    (tmp_path / "hot" / "MPJ_00012.INP").write_bytes(b"JobID=MPJ_00012\r\n")
    (tmp_path / "hot" / "MPJ_00012.PTM").write_bytes(b"Message=ABORT\r\nClientID=old\r\n")
    driver.clear("MPJ_00012")
    assert sorted(os.listdir(tmp_path / "hot")) == ["MPJ_00012.INP", "MPJ_00012.PTM"]
    assert (tmp_path / "hot" / "MPJ_00012.PTM").read_bytes() == b"Message=ABORT\r\nClientID=EU1\r\n"
