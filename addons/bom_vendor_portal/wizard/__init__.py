from . import bom_document_import_wizard, bom_vendor_ramp_wizard
