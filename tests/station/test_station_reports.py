"""What the station does with a result Odoo has not accepted yet, with an order still at the
robot, and with the files of orders that ended."""

import os
import threading
import time

import pytest

from media_station.robots.simulators import make_simulator
from media_station.station import Station

from .test_station_robots import SETUP, files_in, md5, package, station


@pytest.fixture
def served(file_server):
    file_server.files["/setup.exe"] = SETUP
    file_server.files["/README.txt"] = b"Read me first"
    return file_server


def finals(api):
    return [r for r in api.reports if r[0] in ("success", "failure")]


def record_of(subject, job_id=12):
    return os.path.join(subject.config.work, "reports", f"{job_id}.json")


def hot_files(tmp_path):
    return sorted(e for e in os.listdir(tmp_path / "hot") if e != "Status")


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def produce_while_odoo_is_unreachable(tmp_path, fake_api, served, simulator):
    """The robot finishes the job; Odoo does not answer the success report."""
    subject = station(tmp_path, fake_api, "ptburn")
    fake_api.unreachable = 1
    subject.process(package(served))  # does not raise: the report is kept
    assert finals(fake_api) == []
    assert os.path.exists(record_of(subject))
    assert simulator.processed == [("MPJ_00012-a1", None)]
    return subject


@pytest.fixture
def ptburn(tmp_path):
    simulator = make_simulator("ptburn", str(tmp_path / "hot"), delay=0.05, seed=1)
    simulator.start()
    yield simulator
    simulator.stop()


def test_a_result_odoo_did_not_answer_is_sent_again_by_the_next_run(tmp_path, fake_api, served, ptburn):
    subject = produce_while_odoo_is_unreachable(tmp_path, fake_api, served, ptburn)
    assert subject.run_once() == 0  # Odoo answers again; nothing is queued
    [(kind, job_id, report)] = finals(fake_api)
    assert (kind, job_id) == ("success", 12)
    assert report["image_md5"] == ptburn.images["MPJ_00012-a1"]
    assert report["serials"] == ["MPJ_00012-001", "MPJ_00012-002"] and report["checksums_verified"] is True
    assert fake_api.leases_sent[-1] == (12, "lease-12-1")  # the lease it was made under
    assert ptburn.processed == [("MPJ_00012-a1", None)]  # produced once
    assert files_in(subject.config.work) == [] and hot_files(tmp_path) == []


def test_a_result_whose_lease_ran_out_is_reported_when_the_job_is_claimed_again(
    tmp_path, fake_api, served, ptburn
):
    subject = produce_while_odoo_is_unreachable(tmp_path, fake_api, served, ptburn)
    fake_api.expired.add("lease-12-1")  # the lease ran out: Odoo put the job back in the queue
    assert subject.run_once() == 0
    assert finals(fake_api) == [] and os.path.exists(record_of(subject))  # kept for the next claim
    # a restarted station claims the job again: the result is reported, nothing is burned again
    restarted = Station(subject.config, api=fake_api)
    fake_api.queue.append(package(served))
    assert restarted.run_once() == 1
    [(kind, _job, report)] = finals(fake_api)
    assert kind == "success" and report["image_md5"] == ptburn.images["MPJ_00012-a1"]
    assert fake_api.leases_sent[-1] == (12, "lease-12-2")  # the new claim's lease
    assert ptburn.processed == [("MPJ_00012-a1", None)]
    assert files_in(subject.config.work) == [] and hot_files(tmp_path) == []


def test_a_result_refused_because_the_lease_ran_out_is_not_turned_into_a_failure(
    tmp_path, fake_api, served, ptburn
):
    subject = station(tmp_path, fake_api, "ptburn")
    fake_api.expired.add("lease-12-1")  # the robot took longer than the lease; Odoo requeued the job
    subject.process(package(served))
    assert finals(fake_api) == [] and os.path.exists(record_of(subject))
    fake_api.queue.append(package(served))  # claimed again
    assert subject.run_once() == 1
    [(kind, _job, report)] = finals(fake_api)
    assert kind == "success" and report["image_md5"] == ptburn.images["MPJ_00012-a1"]
    assert ptburn.processed == [("MPJ_00012-a1", None)]
    assert files_in(subject.config.work) == [] and hot_files(tmp_path) == []


def test_a_result_of_a_job_that_ended_meanwhile_is_dropped(tmp_path, fake_api, served, ptburn):
    subject = produce_while_odoo_is_unreachable(tmp_path, fake_api, served, ptburn)
    fake_api.expired.add("lease-12-1")
    fake_api.states[12] = "cancelled"
    subject.run_once()
    assert finals(fake_api) == []
    assert files_in(subject.config.work) == [] and hot_files(tmp_path) == []


class Crash(BaseException):
    """The station stops (killed, power cut) while the robot works."""


@pytest.mark.parametrize("ended_first", [True, False], ids=["robot-done-before-restart", "robot-still-busy"])
def test_a_station_stopped_while_the_robot_worked_reports_that_order(tmp_path, fake_api, served, ended_first):
    subject = station(tmp_path, fake_api, "ptburn")

    def crash(*_args, **_kwargs):
        raise Crash()

    subject.robot.wait = crash
    with pytest.raises(Crash):
        subject.process(package(served))
    assert hot_files(tmp_path) == ["MPJ_00012-a1.JRQ"]
    simulator = make_simulator("ptburn", str(tmp_path / "hot"), delay=0.2, seed=1)
    simulator.start()
    try:
        if ended_first:
            wait_for(lambda: (tmp_path / "hot" / "MPJ_00012-a1.DON").exists())
        # the lease ran out, the restarted station claims the job again
        Station(subject.config, api=fake_api).process(package(served))
    finally:
        simulator.stop()
    [(kind, _job, report)] = finals(fake_api)
    assert kind == "success"
    assert report["image_md5"] == simulator.images["MPJ_00012-a1"]
    assert all(disc["verified"] is True for disc in report["discs"])
    assert simulator.processed == [("MPJ_00012-a1", None)]  # no second order, no second burn
    assert files_in(subject.config.work) == [] and hot_files(tmp_path) == []


def test_a_timed_out_order_the_robot_still_has_keeps_its_image_until_it_ends(tmp_path, fake_api, served):
    subject = station(tmp_path, fake_api, "rimage")
    subject.config.robot_timeout = 0.5
    hot = tmp_path / "hot"

    def network_publisher_takes_it():  # and never finishes it in time
        wait_for(lambda: (hot / "MPJ_00012-a1.NWP").exists())
        os.rename(hot / "MPJ_00012-a1.NWP", hot / "MPJ_00012-a1.INP")

    robot = threading.Thread(target=network_publisher_takes_it)
    robot.start()
    subject.process(package(served))
    robot.join()
    [(kind, _job, report)] = finals(fake_api)
    assert kind == "failure" and "Network Publisher had taken the order" in report["reason"]
    image = os.path.join(subject.config.work, "MPJ_00012-a1.iso")
    assert os.path.exists(image)  # the robot may still be reading it
    subject.run_once()
    assert os.path.exists(image) and hot_files(tmp_path) == ["MPJ_00012-a1.INP"]
    os.rename(hot / "MPJ_00012-a1.INP", hot / "MPJ_00012-a1.DON")  # the robot is done with it
    subject.run_once()
    assert not os.path.exists(image) and hot_files(tmp_path) == []


def test_a_failed_job_leaves_nothing_in_the_hot_folder_and_keeps_its_attempt_count(
    tmp_path, fake_api, served
):
    subject = station(tmp_path, fake_api, "ptburn")
    simulator = make_simulator("ptburn", str(tmp_path / "hot"), delay=0.05, failure_rate=1.0)
    simulator.start()
    try:
        subject.process(package(served))
    finally:
        simulator.stop()
    assert finals(fake_api)[-1][0] == "failure"
    assert hot_files(tmp_path) == []
    # the job may be produced here again: the next order is a new attempt
    assert files_in(subject.config.work) == ["attempts/MPJ_00012"]
    assert subject.robot.begin("MPJ_00012") == 2


def test_a_file_stored_while_the_job_was_staged_is_hashed_before_it_is_used(
    tmp_path, fake_api, served, monkeypatch, ptburn
):
    subject = station(tmp_path, fake_api, "ptburn")
    stored = subject.repository.path_for(md5(SETUP))
    os.makedirs(os.path.dirname(stored))
    with open(stored, "wb") as handle:
        handle.write(SETUP[:-4] + b"rot!")
    # the file appears in the repository between the station's look and the fetch (another
    # process stored it): the fetch returns it without hashing it
    monkeypatch.setattr(subject.repository, "has", lambda _md5: False)
    subject.process(package(served))
    kind, _job, report = finals(fake_api)[-1]
    assert kind == "success" and report["checksums_verified"] is True
    assert open(stored, "rb").read() == SETUP  # it did not match: downloaded again
    assert [path for path, _range, _auth in served.requests].count("/setup.exe") == 1
