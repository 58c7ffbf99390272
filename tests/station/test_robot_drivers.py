"""What each robot driver writes, byte for byte, what it writes differently, and what it refuses."""

import logging
import os
import time

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
        "image": os.path.join(work, "MPJ_00012-a1.iso"),
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


def merge_fields(content, encoding="cp1252"):
    return [
        line[len("MergeField=") :]
        for line in content.decode(encoding).split("\r\n")
        if line.startswith("MergeField=")
    ]


# --- PTBurn job requests -----------------------------------------------------------------------


def test_ptburn_job_request_is_written_as_the_sdk_specifies(tmp_path, work):
    driver = PTBurnDriver(
        tmp_path / "PTBurnJobs",
        work=work,
        robot_work="\\\\ROBOTPC\\PTBurnJobs\\station",
        label_template="C:\\Labels\\media-kit.std",
        client="EU1@station-1",
        name="Disc Publisher XRP",
    )
    driver.submit(order_for(work))
    assert sorted(os.listdir(tmp_path / "PTBurnJobs")) == ["MPJ_00012-a1.JRQ"]
    assert (tmp_path / "PTBurnJobs" / "MPJ_00012-a1.JRQ").read_bytes() == (
        b"JobID=MPJ_00012-a1\r\n"
        b"ClientID=EU1@station-1\r\n"
        b"DiscType=DVDR\r\n"
        b"ImageFile=\\\\ROBOTPC\\PTBurnJobs\\station\\MPJ_00012-a1.iso\r\n"
        b"CloseDisc=YES\r\n"
        b"Copies=3\r\n"
        b"VolumeName=CAD_STUDIO_SO004\r\n"
        b"VerifyDisc=YES\r\n"
        b"RejectIfNotBlank=YES\r\n"
        b"PrintLabel=C:\\Labels\\media-kit.std\r\n"
        b"PrintReject=YES\r\n"
        b"MergeField=SO0042\r\n"
        b"MergeField=CADS-MEDIA-DVD\r\n"
        b"MergeField=CAD Studio\r\n"
        b"MergeField=2025.2\r\n"
        b"MergeField=Northwind Engineering\r\n"
        b"MergeField=SO0042-CADS-MEDIA-DVD\r\n"
        b"RobotName=Disc Publisher XRP\r\n"
    )
    assert os.listdir(work) == []  # PTBurn reads everything from the job request
    assert driver.state("MPJ_00012-a1") == QUEUED


def test_ptburn_without_a_label_design_prints_nothing_and_never_asks_for_the_pdf(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work, client="")
    assert not driver.wants_label_pdf()
    content = driver.render(order_for(work, copies=1))["MPJ_00012-a1.JRQ"]
    # 2.1.42: PrintReject prints "Reject" on a rejected disc, which needs a label to print
    assert b"PrintLabel" not in content and b"MergeField" not in content and b"PrintReject" not in content
    assert b"ClientID=media_station\r\n" in content  # 2.1.2: a ClientID is needed to abort a job
    assert content.endswith(b"RejectIfNotBlank=YES\r\n")


@pytest.mark.parametrize(
    "media, line", [("dvd", b"DiscType=DVDR\r\n"), ("cd", b"DiscType=CDR\r\n"), ("bluray", None)]
)
def test_ptburn_disc_type_follows_the_media_and_every_disc_is_closed(tmp_path, work, media, line):
    content = PTBurnDriver(tmp_path / "hot", work=work).render(order_for(work, media=media))[
        "MPJ_00012-a1.JRQ"
    ]
    if line:
        assert line in content
    else:  # the 2005 SDK knows CDR and DVDR only: nothing rather than a wrong value
        assert b"DiscType" not in content
    assert b"CloseDisc=YES\r\n" in content


def test_ptburn_label_text_is_written_in_the_ansi_code_page_by_default(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work, label_template="C:\\L.std", client="EU1")
    assert driver.encoding == "ansi"
    label = {**LABEL, "customer": "Müller Engineering GmbH", "title": "Straße & Café"}
    content = driver.render(order_for(work, label=label))["MPJ_00012-a1.JRQ"]
    assert b"MergeField=M\xfcller Engineering GmbH\r\n" in content  # Windows-1252
    assert b"MergeField=Stra\xdfe & Caf\xe9\r\n" in content


def test_label_text_the_encoding_cannot_hold_is_transliterated_with_a_warning(tmp_path, work, caplog):
    label = {**LABEL, "customer": "Müller Straße GmbH", "title": "Łódź “Ñandú” 東京"}
    ascii_driver = PTBurnDriver(tmp_path / "a", work=work, label_template="C:\\L.std", encoding="ascii")
    with caplog.at_level(logging.WARNING, logger="media_station.robots.base"):
        fields = merge_fields(ascii_driver.render(order_for(work, label=label))["MPJ_00012-a1.JRQ"], "ascii")
    # the job is not failed: é becomes e, ß ss, what has no Latin form '?'; quotes become
    # straight ones, which a merge field cannot carry: spaces
    assert fields[2] == "Lodz  Nandu  ??"
    assert fields[4] == "Muller Strasse GmbH"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "'customer'" in w and "'Muller Strasse GmbH'" in w and "ascii cannot hold 'ß', 'ü'" in w
        for w in warnings
    )
    ansi = PTBurnDriver(tmp_path / "b", work=work, label_template="C:\\L.std")
    fields = merge_fields(ansi.render(order_for(work, label=label))["MPJ_00012-a1.JRQ"])
    assert fields[2] == "Lódz “Ñandú” ??" and fields[4] == "Müller Straße GmbH"  # Windows-1252 has these
    central = PTBurnDriver(tmp_path / "c", work=work, label_template="C:\\L.std", encoding="cp1250")
    fields = merge_fields(central.render(order_for(work, label=label))["MPJ_00012-a1.JRQ"], "cp1250")
    assert fields[2] == "Łódź “Nandú” ??"  # Central European: Ł and ź, but no Ñ


def test_ptburn_unicode_job_request_is_utf16_with_a_byte_order_mark(tmp_path, work):
    driver = PTBurnDriver(
        tmp_path / "hot", work=work, label_template="D:\\L.std", client="EU1", encoding="utf-16"
    )
    label = {**LABEL, "customer": "Müller Straße GmbH", "title": "東京 Łódź"}
    content = driver.render(order_for(work, label=label, copies=1))["MPJ_00012-a1.JRQ"]
    assert content.startswith(b"\xff\xfe")
    text = content[2:].decode("utf-16-le")
    assert "MergeField=Müller Straße GmbH\r\n" in text and "MergeField=東京 Łódź\r\n" in text
    assert text.startswith("JobID=MPJ_00012-a1\r\nClientID=EU1\r\n")


def test_job_id_and_client_id_stay_ascii_whatever_the_encoding(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work, client="Zürich-1", encoding="utf-16")
    assert driver.client_id == "Z_rich-1"
    with pytest.raises(UnsafeOrderValue, match=r"job ID 'MPJ_Ö-a1' has characters outside ASCII: 'Ö'"):
        driver.render(order_for(work, name="MPJ_Ö"))


def test_paths_and_settings_the_encoding_cannot_hold_are_refused_not_changed(tmp_path, work):
    # a transliterated path would name another file
    driver = PTBurnDriver(tmp_path / "hot", work=work)
    with pytest.raises(UnsafeOrderValue, match=r"image path .* cannot hold \(robot_encoding = ansi\): '東'"):
        driver.render(order_for(work, image=os.path.join(work, "東.iso")))
    with pytest.raises(ValueError, match="label_template"):
        PTBurnDriver(tmp_path / "hot", work=work, label_template="C:\\Labels\\Łabel.std")
    with pytest.raises(ValueError, match="robot_name"):
        PTBurnDriver(tmp_path / "hot", work=work, name="Bravo=1")
    with pytest.raises(ValueError, match="robot_encoding must be one of"):
        PTBurnDriver(tmp_path / "hot", work=work, encoding="latin-1")


def test_label_text_that_would_break_the_job_request_is_written_with_spaces(tmp_path, work, caplog):
    driver = PTBurnDriver(tmp_path / "hot", work=work, label_template="C:\\L.std", client="EU1")
    label = {
        **LABEL,
        "customer": "Evil\r\nImageFile=C:\\other.iso",
        "title": '15" edition\x00',
        "version": "v=2\t",
    }
    with caplog.at_level(logging.WARNING):
        content = driver.render(order_for(work, label=label))["MPJ_00012-a1.JRQ"]
    assert content.count(b"ImageFile=") == 1  # no line was added
    fields = merge_fields(content)
    # '"' would end the value in the design's merge file, '=' is the line's separator
    assert fields == [
        "SO0042",
        "CADS-MEDIA-DVD",
        "15  edition",
        "v 2",
        "Evil  ImageFile C:\\other.iso",
        "SO0042-CADS-MEDIA-DVD",
    ]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 3


def test_an_empty_label_field_keeps_its_place(tmp_path, work):
    # 2.1.40: the design's fields are filled by position; an empty value could be skipped
    driver = PTBurnDriver(tmp_path / "hot", work=work, label_template="C:\\L.std")
    label = {**LABEL, "version": "", "part_number": None, "title": " \r\n "}
    fields = merge_fields(driver.render(order_for(work, label=label))["MPJ_00012-a1.JRQ"])
    assert fields == ["SO0042", "-", "-", "-", "Northwind Engineering", "SO0042-CADS-MEDIA-DVD"]


def test_semicolons_are_kept_where_the_format_allows_them(tmp_path, work):
    # a line always starts with its key: ';' cannot turn one into an INI comment
    driver = PTBurnDriver(tmp_path / "hot", work=work, label_template="C:\\L.std")
    content = driver.render(order_for(work, label={"title": "R&D; Pro, 2 (DE)"}))["MPJ_00012-a1.JRQ"]
    assert b"MergeField=R&D; Pro, 2 (DE)\r\n" in content


def test_hostile_job_and_volume_names_become_safe_file_names_and_values(tmp_path, work):
    name = safe_name('WH/SO"0001;=é\r\nImageFile=x')
    assert name == "WH_SO_0001_____ImageFile_x"
    driver = PTBurnDriver(tmp_path / "hot", work=work)
    driver.submit(order_for(work, name=name, image=os.path.join(work, f"{name}.iso")))
    assert os.listdir(tmp_path / "hot") == [f"{name}-a1.JRQ"]
    content = (tmp_path / "hot" / f"{name}-a1.JRQ").read_bytes()
    assert content.count(b"\r\n") == 9 and content.startswith(b"JobID=WH_SO_0001_____ImageFile_x-a1\r\n")
    with pytest.raises(UnsafeOrderValue, match="volume name"):
        driver.render(order_for(work, volume="VOL\r\nCopies=99"))
    with pytest.raises(UnsafeOrderValue, match="32 characters"):
        driver.render(order_for(work, volume="V" * 33))


def test_ptburn_job_id_is_cut_to_32_characters_and_copies_are_bounded(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work)
    long_name = "MPJ_" + "9" * 40
    content = driver.render(order_for(work, name=long_name))[f"{long_name}-a1.JRQ"]
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


def test_ptburn_extensions_set_in_ptsetup_ini(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work, client="EU1", extensions="job,fnd,run,ok,bad,msg")
    driver.submit(order_for(work))
    assert os.listdir(tmp_path / "hot") == ["MPJ_00012-a1.JOB"]
    assert driver.state("MPJ_00012-a1") == QUEUED
    os.rename(tmp_path / "hot" / "MPJ_00012-a1.JOB", tmp_path / "hot" / "MPJ_00012-a1.RUN")
    assert driver.state("MPJ_00012-a1") == PRODUCING
    assert driver.withdraw("MPJ_00012-a1") == "PTBurn was asked to abort the job"
    assert (tmp_path / "hot" / "MPJ_00012-a1.MSG").read_bytes() == b"Message=ABORT\r\nClientID=EU1\r\n"
    os.rename(tmp_path / "hot" / "MPJ_00012-a1.RUN", tmp_path / "hot" / "MPJ_00012-a1.OK")
    assert driver.state("MPJ_00012-a1") == DONE
    for wrong in ("JRQ,QRJ,INP,DON,ERR", "JRQ,JRQ,INP,DON,ERR,PTM", "JRQ,QRJ,INP,DON,ERR,P.M"):
        with pytest.raises(ValueError, match="robot_extensions must be six different extensions"):
            PTBurnDriver(tmp_path / "hot", extensions=wrong)
    with pytest.raises(ValueError, match="cannot be changed"):
        RimageDriver(tmp_path / "nwp", extensions="JRQ,QRJ,INP,DON,ERR,PTM")


def test_the_abort_command_appears_whole(tmp_path, work, monkeypatch):
    driver = PTBurnDriver(tmp_path / "hot", work=work, client="EU1")
    (tmp_path / "hot" / "MPJ_00012-a1.INP").write_bytes(b"JobID=MPJ_00012-a1\r\nClientID=EU1\r\n")
    renamed = []
    real_replace = os.replace

    def replace(src, dst):
        renamed.append((os.path.basename(src), os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    driver.withdraw("MPJ_00012-a1")
    # written under another name, then renamed: PTBurn never reads half a command
    assert renamed == [("MPJ_00012-a1.PTM.tmp", "MPJ_00012-a1.PTM")]


# --- Rimage orders -----------------------------------------------------------------------------


def test_rimage_order_with_the_label_rendered_by_odoo(tmp_path, work):
    driver = RimageDriver(tmp_path / "NWP", work=work)
    assert driver.wants_label_pdf()
    pdf = os.path.join(work, "MPJ_00012-a1.label.pdf")
    driver.submit(order_for(work, label_pdf=pdf))
    assert (tmp_path / "NWP" / "MPJ_00012-a1.NWP").read_bytes() == (
        f"order_id=MPJ_00012-a1\r\nfiletype=IMAGE\r\nfile={work}/MPJ_00012-a1.iso\r\nlabel={pdf}\r\ncopies=3\r\n".encode()
    )


def test_rimage_order_with_the_sites_label_design_and_a_merge_file(tmp_path, work):
    driver = RimageDriver(
        tmp_path / "NWP", work=work, robot_work="R:\\media\\work", label_template="R:\\labels\\kit.btw"
    )
    assert not driver.wants_label_pdf()
    driver.submit(order_for(work))
    assert (tmp_path / "NWP" / "MPJ_00012-a1.NWP").read_bytes() == (
        b"order_id=MPJ_00012-a1\r\n"
        b"filetype=IMAGE\r\n"
        b"file=R:\\media\\work\\MPJ_00012-a1.iso\r\n"
        b"label=R:\\labels\\kit.btw\r\n"
        b"merge=R:\\media\\work\\MPJ_00012-a1.merge.txt\r\n"
        b"copies=3\r\n"
    )
    assert open(os.path.join(work, "MPJ_00012-a1.merge.txt"), "rb").read() == (
        b"SO0042\r\nCADS-MEDIA-DVD\r\nCAD Studio\r\n2025.2\r\nNorthwind Engineering\r\nSO0042-CADS-MEDIA-DVD\r\n"
    )


def test_rimage_merge_values_lose_the_characters_merge_fields_cannot_contain(tmp_path, work, caplog):
    # IBM CMOD on Rimage: no comma, single quote, double quote, left or right bracket; and no
    # '=' (the keyword files' separator): each becomes a space, logged
    driver = RimageDriver(tmp_path / "hot", work=work, label_template="R:\\kit.btw")
    label = {"title": 'R&D; "Pro" edition, A=B [x]', "customer": "O'Neil\r\nGmbH", "version": ""}
    with caplog.at_level(logging.WARNING):
        merge = driver.render(order_for(work, label=label))["MPJ_00012-a1.merge.txt"]
    assert merge == b"R&D;  Pro  edition  A B  x\r\n-\r\nO Neil  GmbH\r\n"
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_rimage_merge_values_are_transliterated_not_refused(tmp_path, work):
    label = {"title": "Müller Straße", "customer": "東京"}
    ascii_driver = RimageDriver(tmp_path / "a", work=work, label_template="R:\\kit.btw", encoding="ascii")
    assert (
        ascii_driver.render(order_for(work, label=label))["MPJ_00012-a1.merge.txt"]
        == b"Muller Strasse\r\n??\r\n"
    )
    ansi = RimageDriver(tmp_path / "b", work=work, label_template="R:\\kit.btw")
    assert (
        ansi.render(order_for(work, label=label))["MPJ_00012-a1.merge.txt"]
        == b"M\xfcller Stra\xdfe\r\n??\r\n"
    )


# --- the hand-off folder -----------------------------------------------------------------------


def test_folder_order_keeps_the_stations_own_format(tmp_path, work):
    driver = FolderDriver(tmp_path / "usb", work=work)
    folder = os.path.join(work, "MPJ_00012")
    driver.submit(order_for(work, image=folder, is_disc=False, volume="CADSTUDIO", media="usb", copies=2))
    assert (tmp_path / "usb" / "MPJ_00012-a1.ord").read_bytes() == (
        f"JobID=12\nOrderID=SO0042\nFolder={folder}\nVolumeName=CADSTUDIO\n"
        f"MergeFile={work}/MPJ_00012-a1.label.txt\nLabelFile=\nCopies=2\nMedia=usb\n"
    ).encode()
    assert open(os.path.join(work, "MPJ_00012-a1.label.txt"), "rb").read() == (
        b"order=SO0042\npart_number=CADS-MEDIA-DVD\ntitle=CAD Studio\nversion=2025.2\n"
        b"customer=Northwind Engineering\nbarcode=SO0042-CADS-MEDIA-DVD\n"
    )


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
        (tmp_path / "hot" / f"MPJ_00012-a1{ext}").write_bytes(b"")
        assert driver.state("MPJ_00012-a1") == state
    (tmp_path / "hot" / "MPJ_00012-a1.don").unlink()
    (tmp_path / "hot" / "MPJ_00012-a1.err").write_bytes(b"")
    (tmp_path / "hot" / "MPJ_00012-a1.log").write_bytes(
        b"\r\nDrive 2: media not blank\r\nOrder MPJ_00012\r\n"
    )
    assert driver.state("MPJ_00012-a1") == ERROR
    result = driver.result(order)
    assert (result.state, result.reason) == (ERROR, "Drive 2: media not blank")
    assert driver.state("MPJ_00012-a") is None  # another order's files are not this one's


# --- attempts ------------------------------------------------------------------------------------


def test_every_attempt_at_a_job_gets_its_own_order_file_name(tmp_path, work):
    driver = PTBurnDriver(tmp_path / "hot", work=work)
    assert driver.begin("MPJ_00012") == 1
    assert driver.begin("MPJ_00012") == 2
    assert driver.begin("MPJ_00099") == 1  # counted per job
    # the count survives a restart of the station: it is kept in the work folder
    assert PTBurnDriver(tmp_path / "hot", work=work).begin("MPJ_00012") == 3
    # serials do not change with the attempt
    order = order_for(work, attempt=3)
    assert (order.stem, order.serial(1)) == ("MPJ_00012-a3", "MPJ_00012-001")


def test_attempt_numbers_the_robot_still_reports_are_not_used_again(tmp_path, tmp_path_factory):
    hot = tmp_path / "hot"
    (hot / "Status").mkdir(parents=True)
    (hot / "Status" / "SystemStatus.txt").write_text(
        "[RobotList]\r\nRobot0=Bravo\r\n[Bravo]\r\nStatusFile=Bravo.txt\r\n"
    )
    # PTBurn lists recently completed jobs (3.2.3), with their disc errors
    (hot / "Status" / "Bravo.txt").write_text(
        "[CompletedJobs]\r\nJob0=MPJ_00012-a8\r\n[MPJ_00012-a8]\r\nJobState=2\r\nDiscErrorNumber0=19\r\n"
    )
    (hot / "MPJ_00012-a6.DON").write_bytes(b"")
    fresh_work = str(tmp_path_factory.mktemp("new-station"))  # e.g. a reinstalled station
    driver = PTBurnDriver(hot, work=fresh_work)
    assert driver.begin("MPJ_00012") == 9
    assert not (hot / "MPJ_00012-a6.DON").exists()  # what the earlier attempt left is removed


def test_an_earlier_attempt_waiting_in_the_hot_folder_is_withdrawn(tmp_path, work):
    driver = RimageDriver(tmp_path / "hot", work=work)
    (tmp_path / "hot" / "MPJ_00012-a1.NWP").write_bytes(b"order_id=MPJ_00012-a1\r\n")
    (tmp_path / "hot" / "MPJ_00012.ERR").write_bytes(b"")  # written before attempts had numbers
    (tmp_path / "hot" / "MPJ_00012.LOG").write_bytes(b"old failure")
    assert driver.begin("MPJ_00012") == 2
    assert os.listdir(tmp_path / "hot") == []


@pytest.mark.parametrize("kind, held", [("rimage", "MPJ_00012-a1.INP"), ("ptburn", "MPJ_00012-a1.INP")])
def test_no_new_order_while_an_earlier_one_is_still_at_the_robot(tmp_path, work, kind, held):
    driver = make_driver(kind, tmp_path / "hot", work=work, client="EU1", pickup_timeout=0.3)
    (tmp_path / "hot" / held).write_bytes(b"JobID=MPJ_00012-a1\r\nClientID=EU1@old-station\r\n")
    started = time.monotonic()
    with pytest.raises(
        StationError, match=r"earlier order MPJ_00012-a1 of this job is still at the robot .* 0.3 s"
    ):
        driver.begin("MPJ_00012")
    assert 0.3 <= time.monotonic() - started < 5
    expected = {held}
    if kind == "ptburn":  # asked to abort, with the ClientID of the station that wrote it
        expected.add("MPJ_00012-a1.PTM")
        assert (
            tmp_path / "hot" / "MPJ_00012-a1.PTM"
        ).read_bytes() == b"Message=ABORT\r\nClientID=EU1@old-station\r\n"
    assert set(os.listdir(tmp_path / "hot")) == expected
    assert not os.path.exists(os.path.join(work, "attempts", "MPJ_00012"))  # no attempt was begun


# --- waiting for the robot -----------------------------------------------------------------------


@pytest.mark.parametrize("kind, software", [("ptburn", "PTBurn"), ("rimage", "Network Publisher")])
def test_an_order_nobody_picks_up_fails_the_job_after_the_pickup_timeout(tmp_path, work, kind, software):
    driver = make_driver(kind, tmp_path / "hot", work=work, pickup_timeout=0.3)
    order = order_for(work)
    driver.submit(order)
    started = time.monotonic()
    result = driver.wait(order, timeout=20, poll=0.05)
    assert time.monotonic() - started < 5  # long before the job's own timeout
    assert result.state == TIMEOUT
    assert result.reason == (
        f"the robot did not pick up the order within 0.3 s: is {software} running and watching "
        f"{driver.hot_folder}? (the order was withdrawn)"
    )
    assert [e for e in os.listdir(tmp_path / "hot") if e != "Status"] == []


def test_the_hand_off_folder_has_no_pickup_timeout(tmp_path, work):
    # whoever empties it may be a person
    driver = FolderDriver(tmp_path / "usb", work=work, pickup_timeout=0.1)
    order = order_for(work, is_disc=False)
    driver.submit(order)
    result = driver.wait(order, timeout=0.5, poll=0.05)
    assert result.state == TIMEOUT and result.reason.startswith("the robot did not finish within 0.5 s")


def test_a_robot_that_does_not_finish_times_out_and_the_order_is_taken_back(tmp_path, work):
    driver = RimageDriver(tmp_path / "hot", work=work)
    order = order_for(work)
    driver.submit(order)
    result = driver.wait(order, timeout=0.3, poll=0.05)
    assert result.state == TIMEOUT and "withdrawn" in result.reason
    assert os.listdir(tmp_path / "hot") == []
