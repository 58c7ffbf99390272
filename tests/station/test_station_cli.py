"""The station's command line: settings from options, a config file and the environment."""

import hashlib
import os

import pytest

from media_station.__main__ import _settings, main
from media_station.station import StationConfig


def test_missing_settings_are_named(monkeypatch):
    for name in ("URL", "DB", "SITE", "KEY", "REPO", "HOT_FOLDER"):
        monkeypatch.delenv(f"MEDIA_STATION_{name}", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["once", "--url", "http://127.0.0.1:9"])
    assert "--db" in str(exit_info.value) and "--hot-folder" in str(exit_info.value)


def test_config_file_environment_and_options_combine(tmp_path, monkeypatch):
    config = tmp_path / "station.ini"
    config.write_text("[station]\nurl = http://odoo.example.com\ndb = prod\nsite = EU1\nrepo = /srv/repo\n")
    monkeypatch.setenv("MEDIA_STATION_KEY", "secret-key")
    monkeypatch.setenv("MEDIA_STATION_HOT_FOLDER", "/srv/hot")

    class Args:
        pass

    args = Args()
    args.config = str(config)
    for name in ("url", "db", "site", "key", "repo", "hot_folder", "work", "protocol", "login", "station"):
        setattr(args, name, None)
    args.site = "EU2"  # the command line wins
    settings = _settings(args)
    assert (settings.url, settings.db, settings.site, settings.key) == (
        "http://odoo.example.com",
        "prod",
        "EU2",
        "secret-key",
    )
    assert settings.hot_folder == "/srv/hot" and settings.protocol == "json2"


def test_verify_reports_corrupt_files(tmp_path, capsys):
    repo = tmp_path / "repo"
    good = hashlib.md5(b"good").hexdigest()
    os.makedirs(repo / good[:2])
    (repo / good[:2] / good).write_bytes(b"good")
    assert main(["verify", "--repo", str(repo)]) == 0
    bad = hashlib.md5(b"was this").hexdigest()
    os.makedirs(repo / bad[:2], exist_ok=True)
    (repo / bad[:2] / bad).write_bytes(b"is now that")
    assert main(["verify", "--repo", str(repo)]) == 1
    assert bad in capsys.readouterr().out


def test_xmlrpc_needs_a_login(tmp_path):
    with pytest.raises(ValueError, match="login"):
        StationConfig(
            url="u",
            db="d",
            site="s",
            key="k",
            repo=str(tmp_path),
            hot_folder=str(tmp_path),
            protocol="xmlrpc",
        )


def test_lease_length_is_a_setting_renewed_three_times_within_it(tmp_path, monkeypatch):
    config = tmp_path / "station.ini"
    config.write_text(
        "[station]\nurl = http://odoo.example.com\ndb = prod\nsite = EU1\nkey = k\n"
        f"repo = {tmp_path}/repo\nhot_folder = {tmp_path}/hot\nlease_seconds = 120\n"
    )
    monkeypatch.delenv("MEDIA_STATION_LEASE_SECONDS", raising=False)

    class Args:
        pass

    args = Args()
    args.config = str(config)
    for name in ("url", "db", "site", "key", "repo", "hot_folder", "lease_seconds"):
        setattr(args, name, None)
    settings = _settings(args)
    assert settings.lease_seconds == 120
    assert settings.heartbeat_every == 40  # not the default minute: a lease never runs out between beats
    monkeypatch.setenv("MEDIA_STATION_LEASE_SECONDS", "3600")
    settings = _settings(args)
    assert (settings.lease_seconds, settings.heartbeat_every) == (3600, 60)  # the default beat is enough


@pytest.mark.parametrize("value", ["59", "86401", "soon", "90.5"])
def test_a_lease_odoo_would_refuse_stops_the_station_at_start_up(tmp_path, value):
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "once",
                "--url",
                "http://127.0.0.1:9",
                "--db",
                "prod",
                "--site",
                "EU1",
                "--key",
                "k",
                "--repo",
                str(tmp_path / "repo"),
                "--hot-folder",
                str(tmp_path / "hot"),
                "--lease-seconds",
                value,
            ]
        )
    assert "lease_seconds must be a whole number of seconds from 60 to 86400" in str(exit_info.value)
