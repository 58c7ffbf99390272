"""Production-site station: turns Odoo media production jobs into discs through a robot's hot folder."""

__version__ = "1.0.0"
