from . import (
    test_maintenance_renewal_campaign,
    test_maintenance_renewal_closed_lines,
    test_maintenance_renewal_followup,
    test_maintenance_renewal_launch_job,
    test_maintenance_renewal_member_import,
    test_maintenance_renewal_migration,
    test_maintenance_renewal_reminder,
    test_maintenance_renewal_report,
    test_maintenance_renewal_security,
    test_maintenance_renewal_term,
    test_renewal_term_property,
)
