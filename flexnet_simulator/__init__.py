"""A FlexNet Operations site on one machine, for tests, benchmarks and the demo.

It speaks the real services' SOAP messages (validating every request against the real WSDLs
when their folder is known), keeps its state in SQLite, and takes fault injections through
a JSON admin API.
"""

from .server import FAULT_KINDS, Simulator, serve
from .store import Store
