"""The station with each robot simulator, end to end, with a stand-in for Odoo's job API."""

import hashlib
import io
import os

import pycdlib
import pytest

from media_station import station as station_module
from media_station.__main__ import _settings, main
from media_station.robots.simulators import make_simulator
from media_station.station import Station, StationConfig

SETUP = os.urandom(120_000)
README = b"Read me first"


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def served(file_server):
    file_server.files["/setup.exe"] = SETUP
    file_server.files["/README.txt"] = README
    return file_server


def package(server, copies=2, is_disc=True, media="dvd", name="MPJ/00012"):
    return {
        "id": 12,
        "name": name,
        "copies": copies,
        "volume_name": "CAD_STUDIO_SO0042",
        "media_type": media,
        "is_disc": is_disc,
        "files": [
            {
                "path": "setup/cadstudio.exe",
                "md5": md5(SETUP),
                "size": len(SETUP),
                "url": server.base + "/setup.exe",
            },
            {
                "path": "README.txt",
                "md5": md5(README),
                "size": len(README),
                "url": server.base + "/README.txt",
            },
        ],
        "label": {"order": "SO0042", "title": "CAD Studio", "customer": "Northwind Engineering"},
    }


def files_in(folder):
    return sorted(
        os.path.relpath(os.path.join(root, name), folder)
        for root, _dirs, names in os.walk(folder)
        for name in names
    )


def station(tmp_path, api, robot, **settings):
    config = StationConfig(
        url="http://127.0.0.1:9",
        db="prod",
        site="EU1",
        key="secret",
        repo=str(tmp_path / "repo"),
        hot_folder=str(tmp_path / "hot"),
        station="EU1@station-1",
        robot=robot,
        robot_timeout=30,
        **settings,
    )
    return Station(config, api=api)


def run(tmp_path, fake_api, robot, job, simulator_options=None, **settings):
    subject = station(tmp_path, fake_api, robot, **settings)
    simulator = make_simulator(robot, str(tmp_path / "hot"), delay=0.05, seed=1, **(simulator_options or {}))
    simulator.start()
    try:
        subject.process(job)
    finally:
        simulator.stop()
    return subject, simulator


# verified: true when the robot read the disc back, null when nothing did
@pytest.mark.parametrize("robot, verified", [("ptburn", True), ("rimage", None), ("folder", None)])
def test_a_disc_job_is_reported_with_one_result_per_copy(tmp_path, fake_api, served, robot, verified):
    subject, simulator = run(tmp_path, fake_api, robot, package(served, copies=3))
    kind, job_id, report = fake_api.final()
    assert (kind, job_id) == ("success", 12)
    serials = ["MPJ_00012-001", "MPJ_00012-002", "MPJ_00012-003"]
    assert report["copies"] == 3 and report["serials"] == serials
    assert report["discs"] == [{"serial": serial, "verified": verified} for serial in serials]
    assert report["checksums_verified"] is True
    assert len(report["image_md5"]) == 32
    if robot != "folder":  # the MD5 of the image the robot recorded the copies from
        assert report["image_md5"] == simulator.images["MPJ_00012-a1"]
    assert simulator.processed == [("MPJ_00012-a1", None)]
    # once Odoo accepted the report: image, label files, the count of attempts and the report
    # kept on disk removed, and what the ended order left in the hot folder too
    assert files_in(subject.config.work) == []
    assert [e for e in os.listdir(tmp_path / "hot") if e != "Status"] == []


def test_the_reported_md5_is_the_built_images(tmp_path, fake_api, served, monkeypatch):
    built = {}
    real_build = station_module.build_iso

    def keep_a_copy(files, volume, out_path):
        path = real_build(files, volume, out_path)
        built["bytes"] = open(path, "rb").read()
        return path

    monkeypatch.setattr(station_module, "build_iso", keep_a_copy)
    run(tmp_path, fake_api, "ptburn", package(served))
    assert fake_api.final()[2]["image_md5"] == md5(built["bytes"])
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(built["bytes"]))
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "CAD_STUDIO_SO004"
    finally:
        iso.close()


def test_ptburn_verification_failure_fails_the_job_naming_the_copy(tmp_path, fake_api, served):
    run(tmp_path, fake_api, "ptburn", package(served, copies=3), {"verify_failure_copy": 2})
    assert [r[0] for r in fake_api.reports if r[0] in ("success", "failure")] == ["failure"]
    report = fake_api.final()[2]
    assert report["reason"].startswith("Robot: copy 2 of 3 failed verification: Error verifying the disc")
    assert "DiscErrorNumber0=19" in report["log"] and "DiscErrorIndex0=2" in report["log"]


def test_rimage_verification_failure_fails_the_job_naming_the_copy(tmp_path, fake_api, served):
    run(tmp_path, fake_api, "rimage", package(served, copies=3), {"verify_failure_copy": 3})
    kind, _job, report = fake_api.final()
    assert kind == "failure"
    assert report["reason"] == "Robot: Copy 3 of 3 failed verification: data miscompare"


@pytest.mark.parametrize("robot", ["ptburn", "rimage"])
def test_robot_error_is_reported_with_what_the_robot_logged(tmp_path, fake_api, served, robot):
    run(tmp_path, fake_api, robot, package(served), {"failure_rate": 1.0, "error_text": "Printer ribbon out"})
    kind, _job, report = fake_api.final()
    assert kind == "failure" and "Printer ribbon out" in report["reason"]
    assert "Printer ribbon out" in report["log"]


def orders_written(subject):
    """The order files the station writes, as {file name: bytes}."""
    written = {}
    real_submit = subject.robot.submit

    def submit(order):
        written.update(subject.robot.render(order))
        return real_submit(order)

    subject.robot.submit = submit
    return written


def test_the_label_pdf_is_fetched_only_for_robots_that_print_it(tmp_path, fake_api, served):
    run(tmp_path / "a", fake_api, "ptburn", package(served))
    assert fake_api.label_requests == 0
    subject = station(tmp_path / "b", fake_api, "rimage")
    written = orders_written(subject)
    simulator = make_simulator("rimage", str(tmp_path / "b" / "hot"), delay=0.05)
    simulator.start()
    try:
        subject.process(package(served))
    finally:
        simulator.stop()
    assert fake_api.final()[0] == "success"
    assert fake_api.label_requests == 1
    label_pdf = os.path.join(subject.config.work, "MPJ_00012-a1.label.pdf")
    assert f"label={label_pdf}\r\n".encode() in written["MPJ_00012-a1.NWP"]


def test_usb_media_with_a_disc_robot_fail_before_anything_is_downloaded(tmp_path, fake_api, served):
    run(tmp_path, fake_api, "ptburn", package(served, is_disc=False, media="usb"))
    kind, _job, report = fake_api.final()
    assert kind == "failure" and "robot = folder" in report["reason"]
    assert served.requests == []
    assert sorted(os.listdir(tmp_path / "hot")) == ["Status"]  # no job request


def test_usb_media_through_the_hand_off_folder(tmp_path, fake_api, served):
    subject = station(tmp_path, fake_api, "folder")
    written = orders_written(subject)
    simulator = make_simulator("folder", str(tmp_path / "hot"), delay=0.05)
    simulator.start()
    try:
        subject.process(package(served, is_disc=False, media="usb"))
    finally:
        simulator.stop()
    kind, _job, report = fake_api.final()
    assert kind == "success" and report["image_md5"] == ""
    folder = os.path.join(subject.config.work, "MPJ_00012-a1")
    assert f"Folder={folder}\n".encode() in written["MPJ_00012-a1.ord"]
    assert not os.path.exists(folder)  # removed once Odoo accepted the report


def test_a_corrupted_stored_file_is_downloaded_again(tmp_path, fake_api, served):
    subject = station(tmp_path, fake_api, "ptburn")
    stored = subject.repository.path_for(md5(SETUP))
    os.makedirs(os.path.dirname(stored))
    with open(stored, "wb") as handle:
        handle.write(SETUP[:-4] + b"rot!")  # the disk changed it after it was verified
    simulator = make_simulator("ptburn", str(tmp_path / "hot"), delay=0)
    simulator.start()
    try:
        subject.process(package(served))
    finally:
        simulator.stop()
    assert fake_api.final()[0] == "success"
    assert open(stored, "rb").read() == SETUP
    assert [path for path, _range, _auth in served.requests].count("/setup.exe") == 1


@pytest.mark.parametrize("robot, software", [("ptburn", "PTBurn"), ("rimage", "Network Publisher")])
def test_a_robot_that_never_takes_the_order_is_a_failure_and_the_order_is_withdrawn(
    tmp_path, fake_api, served, robot, software
):
    subject = station(tmp_path, fake_api, robot, robot_pickup_timeout=0.5)
    simulator = make_simulator(robot, str(tmp_path / "hot"), delay=0)  # never started
    subject.process(package(served))  # nobody picks the order up
    kind, _job, report = fake_api.final()
    assert kind == "failure"
    assert report["reason"] == (
        f"Robot: the robot did not pick up the order within 0.5 s: is {software} running and watching "
        f"{tmp_path / 'hot'}? (the order was withdrawn)"
    )
    assert [e for e in os.listdir(tmp_path / "hot") if e != "Status"] == []
    assert simulator.processed == []


def test_a_job_produced_again_gets_a_new_order_and_its_own_answer(tmp_path, fake_api, served):
    subject = station(tmp_path, fake_api, "ptburn")
    simulator = make_simulator("ptburn", str(tmp_path / "hot"), delay=0.05, verify_failure_copy=2)
    simulator.start()
    try:
        subject.process(package(served, copies=3))
        assert fake_api.final()[0] == "failure"
        simulator.verify_failure_copy = 0
        subject.process(package(served, copies=3))  # Odoo queued the job again
    finally:
        simulator.stop()
    kind, _job, report = fake_api.final()
    assert kind == "success" and all(disc["verified"] for disc in report["discs"])
    assert report["serials"] == ["MPJ_00012-001", "MPJ_00012-002", "MPJ_00012-003"]  # the job's
    assert [name for name, _error in simulator.processed] == ["MPJ_00012-a1", "MPJ_00012-a2"]
    assert [p for p in fake_api.reports if p[0] == "progress" and p[2] == "producing"]


@pytest.mark.parametrize(
    "robot, held, left",
    [
        ("ptburn", "MPJ_00012-a1.INP", ["MPJ_00012-a1.INP", "MPJ_00012-a1.PTM"]),
        ("rimage", "MPJ_00012-a1.INP", ["MPJ_00012-a1.INP"]),  # Network Publisher cannot abort
    ],
)
def test_no_new_order_while_an_earlier_one_of_the_job_is_at_the_robot(
    tmp_path, fake_api, served, caplog, robot, held, left
):
    subject = station(tmp_path, fake_api, robot, robot_pickup_timeout=0.3)
    # another station (or this one, reinstalled) left its order at the robot, which is burning
    # it from its image
    (tmp_path / "hot" / held).write_bytes(b"JobID=MPJ_00012-a1\r\nClientID=EU1@station-0\r\n")
    image = os.path.join(subject.config.work, "MPJ_00012-a1.iso")
    with open(image, "wb") as handle:
        handle.write(b"the image the robot reads")
    subject.process(package(served))
    # not a failure (which would reroute the job while this robot may still produce it): the
    # job is handed back to the queue, and the robot's image stays
    assert [r for r in fake_api.reports if r[0] in ("success", "failure")] == []
    assert fake_api.released == [12]
    assert "an earlier order MPJ_00012-a1 of this job is still at the robot" in caplog.text
    assert os.path.exists(image)
    assert sorted(os.listdir(tmp_path / "hot")) == left
    assert served.requests == []  # nothing was downloaded for an order that cannot be written


def test_a_label_with_characters_outside_ascii_is_printed(tmp_path, fake_api, served):
    design = tmp_path / "kit.std"
    design.write_bytes(b"SureThing design")
    job = package(served)
    job["label"] = {**job["label"], "customer": "Müller Engineering GmbH", "title": "Łódź"}
    subject, simulator = run(tmp_path, fake_api, "ptburn", job, label_template=str(design))
    assert fake_api.final()[0] == "success"
    # Windows-1252 by default: ü and ó are written as they are, Ł and ź (not in it) as L and z
    assert simulator.labels["MPJ_00012-a1"] == ["SO0042", "Lódz", "Müller Engineering GmbH"]
    assert subject.robot.encoding == "ansi"


def test_robot_settings_from_the_command_line_config_and_environment(tmp_path, monkeypatch):
    config = tmp_path / "station.ini"
    config.write_text(
        "[station]\nurl = http://odoo\ndb = prod\nsite = EU1\nkey = k\nrepo = /srv/repo\nhot_folder = /srv/hot\n"
        "label_template = C:\\Labels\\kit.std\nrobot_pickup_timeout = 120\n"
    )
    monkeypatch.setenv("MEDIA_STATION_ROBOT", "rimage")

    class Args:
        pass

    args = Args()
    args.config = str(config)
    settings = _settings(args)
    assert (settings.robot, settings.label_template, settings.robot_encoding) == (
        "rimage",
        "C:\\Labels\\kit.std",
        "",  # the robot's default: ansi
    )
    assert settings.robot_pickup_timeout == 120.0
    monkeypatch.delenv("MEDIA_STATION_ROBOT")
    assert _settings(args).robot == "ptburn"  # the default
    monkeypatch.setenv("MEDIA_STATION_ROBOT_EXTENSIONS", "JOB,FND,RUN,OK,BAD,MSG")
    assert _settings(args).robot_extensions == "JOB,FND,RUN,OK,BAD,MSG"
    args.robot = "epson"
    with pytest.raises(SystemExit, match="robot must be one of ptburn, rimage, folder"):
        _settings(args)
    args.robot = "rimage"
    with pytest.raises(SystemExit, match="robot_extensions is a PTBurn setting"):
        _settings(args)
    monkeypatch.delenv("MEDIA_STATION_ROBOT_EXTENSIONS")
    args.robot, args.robot_encoding = "ptburn", "latin-1"
    with pytest.raises(SystemExit, match="robot_encoding must be one of ascii, ansi"):
        _settings(args)
    args.robot_encoding, args.robot_pickup_timeout = "cp1250", "soon"
    with pytest.raises(SystemExit, match="robot_pickup_timeout must be a number of seconds"):
        _settings(args)


def test_a_robot_setting_no_order_could_carry_stops_the_station_with_a_message(tmp_path, capsys):
    code = main(
        [
            "once",
            "--url=http://127.0.0.1:9",
            "--db=prod",
            "--site=EU1",
            "--key=k",
            f"--repo={tmp_path / 'repo'}",
            f"--hot-folder={tmp_path / 'hot'}",
            "--robot-encoding=ascii",
            "--label-template=C:\\Étiquettes\\kit.std",
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.startswith("invalid settings: label_template 'C:\\\\Étiquettes")


def test_a_hot_folder_that_is_gone_fails_the_job_with_a_clear_reason(tmp_path, fake_api, served):
    subject = station(tmp_path, fake_api, "rimage")
    os.rmdir(tmp_path / "hot")
    (tmp_path / "hot").write_text("the share is not mounted")
    subject.process(package(served))
    kind, _job, report = fake_api.final()
    assert kind == "failure"
    assert report["reason"] == f"EU1@station-1: Not a directory: {tmp_path / 'hot'}"
    assert os.listdir(subject.config.work) == []


def test_discs_that_must_be_verified_are_refused_by_a_robot_that_cannot(tmp_path, fake_api, served):
    job = dict(package(served), requires_verification=True)
    _subject, simulator = run(tmp_path, fake_api, "rimage", job)
    kind, job_id, report = fake_api.final()
    assert (kind, job_id) == ("failure", 12)
    assert "must be verified" in report["reason"] and "Robot verifies discs" in report["reason"]
    assert simulator.processed == []  # no order reached the robot
    # the same job at a robot that verifies is produced, every disc verified
    _subject, _simulator = run(tmp_path / "ptburn", fake_api, "ptburn", job)
    kind, job_id, report = fake_api.final()
    assert kind == "success" and all(disc["verified"] is True for disc in report["discs"])
