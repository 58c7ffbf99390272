from . import bom_vendor_ramp_wizard
