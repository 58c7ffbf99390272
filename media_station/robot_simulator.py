"""The robot simulators under their former name (see media_station.robots.simulators).

python -m media_station.robot_simulator HOT_FOLDER [--robot ptburn|rimage|folder] [--delay S] ...
"""

from .robots import DEFAULT_ROBOT
from .robots.simulators import SIMULATORS, main


def RobotSimulator(  # the former class name, kept for its callers
    hot_folder,
    delay=0.5,
    failure_rate=0.0,
    error_text="Printer ribbon out",
    seed=None,
    robot=DEFAULT_ROBOT,
    **options,
):
    """A simulator of ``robot`` (PTBurn by default, the station's default robot) on ``hot_folder``."""
    return SIMULATORS[robot](
        hot_folder, delay=delay, failure_rate=failure_rate, error_text=error_text, seed=seed, **options
    )


__all__ = ["RobotSimulator", "main"]

if __name__ == "__main__":
    main()
