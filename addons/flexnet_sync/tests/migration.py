"""Running an addon's migration script in a test, as Odoo's upgrade runs it."""

import importlib.util

from odoo.tools.misc import file_path


def migration_script(module, version, step="pre"):
    """The ``<step>-migrate.py`` script of ``module``'s ``version`` (``migrations/<version>/``),
    loaded as a Python module: call its ``migrate(cr, installed_version)``."""
    path = file_path(f"{module}/migrations/{version}/{step}-migrate.py")
    name = f"{module}_{step}_migrate_{version.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script
