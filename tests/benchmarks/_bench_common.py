"""Shared by the Odoo benchmarks: database connection arguments from the environment."""

import os


def db_args():
    """Odoo command-line options for the database make bench prepared."""
    args = [
        "--db_host",
        os.environ.get("DB_HOST", "127.0.0.1"),
        "--db_port",
        os.environ.get("DB_PORT", "5432"),
        "--db_user",
        os.environ.get("DB_USER", "odoo"),
    ]
    if os.environ.get("DB_PASSWORD"):
        args += ["--db_password", os.environ["DB_PASSWORD"]]
    return args
