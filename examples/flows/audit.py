"""An error stage that receives records as the failing stage saw them (STAGE_RECORD).

Dev Raw Data Source -> Field Remover -> Local FS
error records (as each stage had them) -> Write to File
"""

from flowbuilder import Flow

audit = (
    Flow("audit-trail", description="strip personal fields before writing the audit trail")
    .source(
        "Dev Raw Data Source",
        data_format="JSON",
        raw_data='{"user": "ada", "email": "a@x", "action": "login"}',
    )
    .to("Field Remover", fields=["/email"])
    .to("Local FS", data_format="JSON", directory_template="/data/audit")
    .on_error("Write to File", directory="/data/errors/audit")
)
audit.configuration["error_record_policy"] = "STAGE_RECORD"
audit.configuration["retry_pipeline_on_error"] = False
