"""Disc-robot drivers: one module per maker's hot-folder protocol (see base.RobotDriver)."""

from .base import (
    DONE,
    ERROR,
    PRODUCING,
    QUEUED,
    TIMEOUT,
    Disc,
    EarlierOrderAtRobot,
    Order,
    Result,
    RobotDriver,
    UnsafeOrderValue,
)
from .folder import FolderDriver
from .ptburn import PTBurnDriver
from .rimage import RimageDriver

DRIVERS = {driver.kind: driver for driver in (PTBurnDriver, RimageDriver, FolderDriver)}
DEFAULT_ROBOT = PTBurnDriver.kind


def make_driver(kind, hot_folder, **options):
    """The driver of robot ``kind`` (ptburn, rimage or folder) on ``hot_folder``."""
    try:
        driver = DRIVERS[kind]
    except KeyError:
        raise ValueError(f"robot must be one of {', '.join(DRIVERS)}, not {kind!r}") from None
    return driver(hot_folder, **options)
