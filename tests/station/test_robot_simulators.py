"""The robot simulators answer orders the way each maker's documentation says, and the drivers
read those answers."""

import hashlib
import os
import time

import pytest

from media_station.errors import StationError
from media_station.robot_simulator import RobotSimulator
from media_station.robots import FolderDriver, Order, PTBurnDriver, RimageDriver
from media_station.robots.base import DONE, ERROR, PRODUCING, TIMEOUT, parse_ini
from media_station.robots.simulators import FolderSimulator, PTBurnSimulator, RimageSimulator

IMAGE = b"ISO image bytes " * 1000


@pytest.fixture
def work(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "JOB1.iso").write_bytes(IMAGE)
    return str(folder)


def order(work, name="JOB1", copies=3, **changes):
    values = {
        "name": name,
        "job_id": 1,
        "image": os.path.join(work, f"{name}.iso"),
        "is_disc": True,
        "volume": "KIT",
        "copies": copies,
        "label": {"order": "SO1", "title": "CAD Studio"},
        "work": work,
        "media": "dvd",
    }
    values.update(changes)
    return Order(**values)


STEM = "JOB1-a1"  # the first attempt at JOB1


def status_of(hot, robot="Disc Publisher XRP"):
    system = parse_ini((hot / "Status" / "SystemStatus.txt").read_text())
    detail = parse_ini((hot / "Status" / f"{robot}.txt").read_text())
    return system, detail


# --- PTBurn ------------------------------------------------------------------------------------


def test_ptburn_job_is_burned_verified_and_reported_in_the_status_files(tmp_path, work):
    hot = tmp_path / "PTBurnJobs"
    driver = PTBurnDriver(hot, work=work, client="EU1")
    robot = PTBurnSimulator(hot, delay=0)
    driver.submit(order(work))
    robot.step()
    assert sorted(os.listdir(hot)) == ["JOB1-a1.DON", "Status"]
    system, detail = status_of(hot)
    assert system["RobotList"] == {"Robot0": "Disc Publisher XRP"}
    assert system["Disc Publisher XRP"]["StatusFile"] == "Disc Publisher XRP.txt"
    assert detail["CompletedJobs"] == {"Job0": STEM}
    job = detail[STEM]
    assert (job["JobState"], job["GoodDiscs"], job["BadDiscs"], job["ClientID"]) == ("2", "3", "0", "EU1")
    assert robot.images[STEM] == hashlib.md5(IMAGE).hexdigest()
    result = driver.result(order(work))
    assert result.state == DONE
    assert [(d.serial, d.verified) for d in result.discs] == [
        ("JOB1-001", True),
        ("JOB1-002", True),
        ("JOB1-003", True),
    ]
    assert "GoodDiscs=3" in result.log


def test_ptburn_renames_the_job_request_as_it_works(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    robot = PTBurnSimulator(hot, delay=0.6, seed=1)
    driver.submit(order(work))
    seen = [driver.state(STEM)]
    robot.start()
    try:
        deadline = time.monotonic() + 10
        while seen[-1] != DONE and time.monotonic() < deadline:
            state = driver.state(STEM)
            if state != seen[-1]:
                seen.append(state)
            time.sleep(0.02)
    finally:
        robot.stop()
    assert seen[0] == "queued" and PRODUCING in seen and seen[-1] == DONE


def test_ptburn_rejected_disc_that_failed_verification_fails_the_job(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    robot = PTBurnSimulator(hot, delay=0, verify_failure_copy=2)
    driver.submit(order(work))
    robot.step()
    job = status_of(hot)[1][STEM]
    # the robot rejected copy 2 and burned it again: the job itself completed
    assert (job["JobState"], job["GoodDiscs"], job["BadDiscs"]) == ("2", "3", "1")
    assert (job["DiscErrorIndex0"], job["DiscErrorNumber0"]) == ("2", "19")
    result = driver.result(order(work))
    assert result.state == ERROR and not result.discs
    assert result.reason.startswith("copy 2 of 3 failed verification: Error verifying the disc")


def test_ptburn_too_many_rejects_in_a_row_end_the_job_in_error(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    robot = PTBurnSimulator(hot, delay=0, verify_failure_copy=1, verify_failures=5, reject_limit=3)
    driver.submit(order(work))
    robot.step()
    assert driver.state(STEM) == ERROR
    job = status_of(hot)[1][STEM]
    assert (job["JobState"], job["JobErrorNumber"], job["BadDiscs"], job["GoodDiscs"]) == (
        "3",
        "20",
        "3",
        "0",
    )
    reason = driver.result(order(work)).reason
    assert "copy 1 of 3 failed verification" in reason and "PTBurn job error 20" in reason


def test_ptburn_without_verifydisc_a_bad_disc_goes_unnoticed(tmp_path, work):
    hot = tmp_path / "hot"
    hot.mkdir()
    # as the SDK's examples write it: spaces around '=', VerifyDisc absent (NO)
    (hot / "JOB1-a1.JRQ").write_bytes(
        f"JobID = JOB1\r\nImageFile = {work}/JOB1.iso\r\nCopies = 2\r\n".encode()
    )
    robot = PTBurnSimulator(hot, delay=0, verify_failure_copy=1)
    robot.step()
    assert (hot / "JOB1-a1.DON").exists()
    assert status_of(hot)[1][STEM]["BadDiscs"] == "0"  # which is why the station asks for it


@pytest.mark.parametrize(
    "request_text, number, text",
    [
        (
            "JobID=JOB1\r\nImageFile={work}/missing.iso\r\n",
            "4",
            "The file/s you are trying to burn are invalid.",
        ),
        (
            "JobID=JOB1\r\nImageFile={work}/JOB1.iso\r\nPrintLabel=C:\\none.std\r\n",
            "7",
            "The print file is invalid.",
        ),
        (
            "JobID=JOB1\r\nImageFile={work}/JOB1.iso\r\nCopies=many\r\n",
            "8",
            "The job request file is invalid.",
        ),
        (
            "JobID=JOB1\r\nImageFile={work}/JOB1.iso\r\nRobotName=Other\r\n",
            "8",
            "The job request file is invalid.",
        ),
        ("not a key value line\r\n", "8", "The job request file is invalid."),
    ],
)
def test_ptburn_job_errors(tmp_path, work, request_text, number, text):
    hot = tmp_path / "hot"
    hot.mkdir()
    (hot / "JOB1-a1.JRQ").write_bytes(request_text.format(work=work).encode())
    PTBurnSimulator(hot, delay=0).step()
    assert (hot / "JOB1-a1.ERR").exists()
    job = status_of(hot)[1][STEM]
    assert (job["JobState"], job["JobErrorNumber"], job["JobErrorString"]) == ("3", number, text)
    result = PTBurnDriver(hot, work=work).result(order(work))
    assert result.state == ERROR and result.reason == f"{text} (PTBurn job error {number})"


def test_ptburn_failure_rate_and_error_text(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    robot = RobotSimulator(str(hot), delay=0, failure_rate=1.0, error_text="Printer ribbon out", seed=3)
    assert isinstance(robot, PTBurnSimulator)  # the station's default robot
    driver.submit(order(work))
    robot.step()
    assert robot.processed == [(STEM, "Printer ribbon out")]
    result = driver.result(order(work))
    assert result.reason == "Printer ribbon out (PTBurn job error 3)"
    assert "JobErrorString=Printer ribbon out" in result.log


def test_ptburn_job_that_takes_too_long_is_aborted_with_its_client_id(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work, client="EU1@host")
    robot = PTBurnSimulator(hot, delay=1.5)
    driver.submit(order(work, copies=3))
    robot.start()
    try:
        deadline = time.monotonic() + 5
        while driver.state(STEM) != PRODUCING and time.monotonic() < deadline:
            time.sleep(0.02)
        result = driver.wait(order(work, copies=3), timeout=0.1, poll=0.02)
        assert result.state == TIMEOUT and "abort" in result.reason
        assert (hot / "JOB1-a1.PTM").read_bytes() == b"Message=ABORT\r\nClientID=EU1@host\r\n"
        while driver.state(STEM) != ERROR and time.monotonic() < deadline + 5:
            time.sleep(0.05)
    finally:
        robot.stop()
    job = status_of(hot)[1][STEM]
    assert (job["JobErrorNumber"], job["JobErrorString"]) == ("16", "The job was aborted.")
    assert int(job["GoodDiscs"]) < 3


def test_ptburn_ignores_an_abort_with_another_client_id(tmp_path, work):
    hot = tmp_path / "hot"
    PTBurnDriver(hot, work=work, client="EU1").submit(order(work, copies=1))
    (hot / "JOB1-a1.PTM").write_bytes(b"Message=ABORT\r\nClientID=someone-else\r\n")
    PTBurnSimulator(hot, delay=0).step()
    assert (hot / "JOB1-a1.DON").exists() and not (hot / "JOB1-a1.PTM").exists()


def test_ptburn_done_without_a_status_reports_unverified_discs(tmp_path, work):
    hot = tmp_path / "hot"
    hot.mkdir()
    (hot / "JOB1-a1.DON").write_bytes(b"JobID=JOB1\r\n")
    driver = PTBurnDriver(hot, work=work)
    driver.status_grace = 0
    result = driver.result(order(work, copies=2))
    assert result.state == DONE and [d.verified for d in result.discs] == [None, None]


def test_ptburn_reads_a_unicode_job_request(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work, label_template=os.path.join(work, "kit.std"), encoding="utf-16")
    (tmp_path / "work" / "kit.std").write_bytes(b"SureThing design")
    driver.submit(order(work, label={"customer": "Müller GmbH"}))
    PTBurnSimulator(hot, delay=0).step()
    assert driver.result(order(work)).state == DONE


def test_a_disc_that_failed_verification_is_printed_reject(tmp_path, work):
    # 2.1.42: an operator can tell the bad disc among the good ones in the output bin
    hot = tmp_path / "hot"
    (tmp_path / "work" / "kit.std").write_bytes(b"SureThing design")
    driver = PTBurnDriver(hot, work=work, label_template=os.path.join(work, "kit.std"))
    robot = PTBurnSimulator(hot, delay=0, verify_failure_copy=2)
    driver.submit(order(work))
    robot.step()
    assert robot.printed_rejects == {STEM: 1}
    assert driver.result(order(work)).state == ERROR  # and the job fails, by policy


def test_label_fields_keep_their_places_when_one_is_empty(tmp_path, work):
    # the simulator fills the design's fields by position and skips empty values (2.1.40)
    hot = tmp_path / "hot"
    (tmp_path / "work" / "kit.std").write_bytes(b"SureThing design")
    driver = PTBurnDriver(hot, work=work, label_template=os.path.join(work, "kit.std"))
    robot = PTBurnSimulator(hot, delay=0)
    driver.submit(order(work, label={"order": "SO1", "title": "", "version": "2025.2"}))
    robot.step()
    assert robot.labels == {STEM: ["SO1", "-", "2025.2"]}


def test_ptburn_reads_the_ansi_job_request_as_written(tmp_path, work):
    hot = tmp_path / "hot"
    (tmp_path / "work" / "kit.std").write_bytes(b"SureThing design")
    driver = PTBurnDriver(hot, work=work, label_template=os.path.join(work, "kit.std"))
    robot = PTBurnSimulator(hot, delay=0)
    driver.submit(order(work, label={"customer": "Müller Engineering GmbH"}))
    robot.step()
    assert robot.labels == {STEM: ["Müller Engineering GmbH"]}
    assert driver.result(order(work)).state == DONE


def test_a_job_moved_to_another_robot_is_followed(tmp_path, work):
    # AutoSwitchRobot (2.1.41): the job started on Bravo A ends on Bravo B; A's section says
    # JobState=4 (3.2.4.12)
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work, name="Bravo A")
    driver.status_grace = 0.5
    robot = PTBurnSimulator(
        hot, delay=0, robot_names=["Bravo A", "Bravo B"], move_to="Bravo B", verify_failure_copy=3
    )
    driver.submit(order(work))
    robot.step()
    assert status_of(hot, "Bravo A")[1][STEM]["JobState"] == "4"
    assert status_of(hot, "Bravo B")[1][STEM]["JobState"] == "2"
    result = driver.result(order(work))
    # Bravo B's section, with its disc error: copy 3 failed verification there
    assert result.state == ERROR and result.reason.startswith("copy 3 of 3 failed verification")
    assert result.log.startswith(f"PTBurn, robot Bravo B (moved from Bravo A), job {STEM}:\n")
    moved_clean = PTBurnSimulator(hot, delay=0, robot_names=["Bravo A", "Bravo B"], move_to="Bravo B")
    driver.submit(order(work, attempt=2))
    moved_clean.step()
    result = driver.result(order(work, attempt=2))
    assert result.state == DONE and all(disc.verified for disc in result.discs)


def test_a_status_file_that_lags_behind_a_completed_job_is_read_again(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    driver.status_grace, driver.status_poll = 0.2, 0.05  # the first wait is not enough
    robot = PTBurnSimulator(hot, delay=0, status_lag=1.0)
    driver.submit(order(work))
    robot.step()
    assert driver.state(STEM) == DONE
    stale = status_of(hot)[1][STEM]
    assert (stale["JobState"], stale["GoodDiscs"]) == ("1", "2")  # "2 of 3" while it lags
    result = driver.result(order(work))
    assert result.state == DONE and [d.verified for d in result.discs] == [True, True, True]


def test_a_status_file_that_never_catches_up_does_not_fail_a_completed_job(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    driver.status_grace, driver.status_lag_limit, driver.status_poll = 0.1, 0.3, 0.05
    robot = PTBurnSimulator(hot, delay=0, status_lag=3600)
    driver.submit(order(work))
    robot.step()
    result = driver.result(order(work))
    # the job request says completed: not a failure, but nothing says the discs were verified
    assert result.state == DONE and [d.verified for d in result.discs] == [None, None, None]
    assert "the status still said JobState=1: discs reported unverified" in result.log


def test_ptburn_with_the_extensions_of_its_ptsetup_ini(tmp_path, work):
    hot = tmp_path / "hot"
    extensions = ("JOB", "FND", "RUN", "OK", "BAD", "MSG")
    driver = PTBurnDriver(hot, work=work, extensions=",".join(extensions))
    robot = PTBurnSimulator(hot, delay=0, extensions=extensions)
    driver.submit(order(work))
    robot.step()
    assert sorted(os.listdir(hot)) == [f"{STEM}.OK", "Status"]
    assert driver.result(order(work)).state == DONE


def test_an_order_written_while_the_robot_software_is_stopped_is_not_picked_up(tmp_path, work):
    hot = tmp_path / "hot"
    robot = PTBurnSimulator(hot, delay=0)
    robot.start()
    robot.stop()  # PTBurn stopped, e.g. its service not started after a reboot
    time.sleep(0.3)
    driver = PTBurnDriver(hot, work=work, pickup_timeout=0.4)
    driver.submit(order(work))
    result = driver.wait(order(work), timeout=30, poll=0.05)
    assert result.state == TIMEOUT
    assert result.reason.startswith("the robot did not pick up the order within 0.4 s: is PTBurn running")
    assert sorted(os.listdir(hot)) == ["Status"] and robot.processed == []


def test_a_slow_job_the_robot_picked_up_is_not_timed_out_by_the_pickup_timeout(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work, pickup_timeout=0.2)
    robot = PTBurnSimulator(hot, delay=1.0)
    driver.submit(order(work))
    robot.start()
    try:
        result = driver.wait(order(work), timeout=20, poll=0.05)
    finally:
        robot.stop()
    assert result.state == DONE


def test_an_earlier_attempt_the_robot_runs_is_aborted_and_waited_for(tmp_path, work):
    hot = tmp_path / "hot"
    first = PTBurnDriver(hot, work=work, client="EU1@old")
    first.submit(order(work, copies=3))
    robot = PTBurnSimulator(hot, delay=3.0)
    robot.start()
    try:
        deadline = time.monotonic() + 5
        while first.state(STEM) != PRODUCING and time.monotonic() < deadline:
            time.sleep(0.02)
        # another station (another ClientID) takes the job over
        station = PTBurnDriver(hot, work=work, client="EU1@new", pickup_timeout=10)
        station.settle_poll = 0.05
        assert station.begin("JOB1") == 2
    finally:
        robot.stop()
    # the first attempt was aborted with its own ClientID and ended before anything new came
    assert robot.processed == [(STEM, "The job was aborted.")]
    assert status_of(hot)[1][STEM]["JobErrorNumber"] == "16"
    assert sorted(os.listdir(hot)) == ["Status"]  # its .ERR and the abort command are gone


def test_a_retry_is_not_answered_with_what_the_robot_said_of_the_first_attempt(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    robot = PTBurnSimulator(hot, delay=0, verify_failure_copy=2)
    first = order(work, attempt=driver.begin("JOB1"))
    driver.submit(first)
    robot.step()
    assert driver.result(first).state == ERROR
    robot.verify_failure_copy = 0  # the drive was cleaned
    retry = order(work, attempt=driver.begin("JOB1"))
    assert retry.stem == "JOB1-a2"
    driver.submit(retry)
    robot.step()
    # the robot still lists the first attempt with its disc error (3.2.3); the retry has its own
    assert status_of(hot)[1]["JOB1-a1"]["DiscErrorNumber0"] == "19"
    result = driver.result(retry)
    assert result.state == DONE and "DiscError" not in result.log


# --- Rimage ------------------------------------------------------------------------------------


def test_rimage_order_with_label_design_and_merge_file_is_produced(tmp_path, work):
    hot = tmp_path / "NWP"
    (tmp_path / "work" / "kit.btw").write_bytes(b"label design")
    driver = RimageDriver(hot, work=work, label_template=os.path.join(work, "kit.btw"))
    robot = RimageSimulator(hot, delay=0)
    driver.submit(order(work))
    robot.step()
    assert sorted(os.listdir(hot)) == ["JOB1-a1.DON"]
    assert robot.produced == {STEM: 3}
    result = driver.result(order(work))
    assert result.state == DONE
    assert [(d.serial, d.verified) for d in result.discs] == [
        ("JOB1-001", None),
        ("JOB1-002", None),
        ("JOB1-003", None),
    ]


def test_rimage_order_written_for_another_machine(tmp_path, work):
    hot = tmp_path / "NWP"
    driver = RimageDriver(hot, work=work, robot_work="\\\\STATION\\work")
    robot = RimageSimulator(hot, delay=0, path_map={"\\\\STATION\\work": work})
    driver.submit(order(work))
    assert b"file=\\\\STATION\\work\\JOB1.iso\r\n" in (hot / "JOB1-a1.NWP").read_bytes()
    robot.step()
    assert driver.state(STEM) == DONE


@pytest.mark.parametrize(
    "setup, first_line",
    [
        ({"label_template": "R:\\missing.btw"}, "Label file not found: R:\\missing.btw"),
        ({"image": "/nowhere/JOB1.iso"}, "Image file not found: /nowhere/JOB1.iso"),
        ({"failure_rate": 1.0}, "Printer ribbon out"),
        ({"verify_failure_copy": 2}, "Copy 2 of 3 failed verification: data miscompare"),
    ],
)
def test_rimage_errors_come_with_a_log(tmp_path, work, setup, first_line):
    hot = tmp_path / "NWP"
    driver = RimageDriver(hot, work=work, label_template=setup.get("label_template", ""))
    robot = RimageSimulator(
        hot,
        delay=0,
        failure_rate=setup.get("failure_rate", 0.0),
        verify_failure_copy=setup.get("verify_failure_copy", 0),
    )
    job = order(work, image=setup.get("image", os.path.join(work, "JOB1.iso")))
    driver.submit(job)
    robot.step()
    assert sorted(os.listdir(hot)) == ["JOB1-a1.ERR", "JOB1-a1.LOG"]
    result = driver.result(job)
    assert (result.state, result.reason) == (ERROR, first_line)
    assert result.log.splitlines() == [first_line, f"Order {STEM}"]


def test_rimage_invalid_orders(tmp_path, work):
    hot = tmp_path / "NWP"
    hot.mkdir()
    (hot / "A.NWP").write_bytes(
        f"order_id=A\r\nfiletype=ISO\r\nfile={work}/JOB1.iso\r\ncopies=1\r\n".encode()
    )
    (hot / "B.NWP").write_bytes(f"order_id=B\r\nfiletype=IMAGE\r\nfile={work}/JOB1.iso\r\n".encode())
    (hot / "C.NWP").write_bytes(
        f"order_id=C\r\nfiletype=IMAGE\r\nfile={work}/JOB1.iso\r\ncopies=0\r\n".encode()
    )
    robot = RimageSimulator(hot, delay=0)
    robot.step()
    assert robot.processed == [
        ("A", "Invalid order: filetype ISO"),
        ("B", "Invalid order: copies is missing"),
        ("C", "Invalid order: copies 0"),
    ]


def test_rimage_merge_fields_reach_the_label_without_the_characters_it_refuses(tmp_path, work):
    hot = tmp_path / "NWP"
    (tmp_path / "work" / "kit.btw").write_bytes(b"label design")
    driver = RimageDriver(hot, work=work, label_template=os.path.join(work, "kit.btw"))
    robot = RimageSimulator(hot, delay=0)
    driver.submit(order(work, label={"order": "SO1", "customer": "Smith, Jones [EU]", "title": ""}))
    robot.step()
    assert robot.labels == {STEM: ["SO1", "-", "Smith  Jones  EU"]}
    assert driver.result(order(work)).state == DONE
    # as the simulator treats a merge file that has them
    (hot / "X.NWP").write_bytes(
        f"order_id=X\r\nfiletype=IMAGE\r\nfile={work}/JOB1.iso\r\nmerge={work}/x.txt\r\ncopies=1\r\n".encode()
    )
    (tmp_path / "work" / "x.txt").write_bytes(b"Smith, Jones\r\n")
    robot.step()
    assert robot.processed[-1] == ("X", "Merge field 1 contains invalid characters: ,")


def test_rimage_order_nobody_picks_up(tmp_path, work):
    hot = tmp_path / "NWP"
    robot = RimageSimulator(hot, delay=0)
    robot.start()
    robot.stop()
    driver = RimageDriver(hot, work=work, pickup_timeout=0.3)
    driver.submit(order(work))
    result = driver.wait(order(work), timeout=30, poll=0.05)
    assert result.state == TIMEOUT and "is Network Publisher running and watching" in result.reason
    assert os.listdir(hot) == []


def test_rimage_order_still_running_blocks_a_new_attempt_until_it_ends(tmp_path, work):
    hot = tmp_path / "NWP"
    driver = RimageDriver(hot, work=work, pickup_timeout=5)
    driver.settle_poll = 0.05
    driver.submit(order(work))
    robot = RimageSimulator(hot, delay=1.0)
    robot.start()
    try:
        deadline = time.monotonic() + 5
        while driver.state(STEM) != PRODUCING and time.monotonic() < deadline:
            time.sleep(0.02)
        assert driver.state(STEM) == PRODUCING  # Network Publisher orders cannot be aborted
        assert driver.begin("JOB1") == 2  # after the first one ended
    finally:
        robot.stop()
    assert robot.produced == {STEM: 3} and os.listdir(hot) == []
    impatient = RimageDriver(hot, work=work, pickup_timeout=0.2)
    (hot / "JOB1-a2.INP").write_bytes(b"order_id=JOB1-a2\r\n")
    with pytest.raises(StationError, match="JOB1-a2 of this job is still at the robot"):
        impatient.begin("JOB1")


# --- the station's own folder ------------------------------------------------------------------


def test_folder_hand_off(tmp_path, work):
    hot = tmp_path / "usb"
    driver = FolderDriver(hot, work=work)
    robot = FolderSimulator(hot, delay=0)
    driver.submit(order(work, copies=2))
    driver.submit(order(work, name="JOB2", image=os.path.join(work, "missing")))
    robot.step()
    assert driver.result(order(work, copies=2)).state == DONE
    failed = driver.result(order(work, name="JOB2"))
    assert failed.state == ERROR and failed.reason.startswith("Image not found")


def test_the_former_simulator_name_builds_each_kind(tmp_path):
    assert isinstance(RobotSimulator(str(tmp_path / "a"), robot="rimage"), RimageSimulator)
    assert isinstance(RobotSimulator(str(tmp_path / "b"), robot="folder"), FolderSimulator)


def test_ptburn_status_line_comes_from_systemstatus(tmp_path, work):
    hot = tmp_path / "hot"
    driver = PTBurnDriver(hot, work=work)
    assert driver.status().startswith("Primera PTBurn: no robot listed")
    PTBurnSimulator(hot, delay=0)
    assert driver.status() == "Primera PTBurn: Disc Publisher XRP: System OK"
