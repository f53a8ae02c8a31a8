"""Events to executors: export yesterday's customers, hand each closed file on, then stop.

    JDBC Query Consumer -> Field Masker (hide e-mails) -> Local FS (CSV files)
    Local FS            ==(file-closed events)==> Shell (move the file to the outbox)
    JDBC Query Consumer ==(no-more-data event)==> Pipeline Finisher Executor
    error records -> Write to File

The database credentials are not in the code: they are read from the environment
(``SHOP_DB_USER``, ``SHOP_DB_PASSWORD``) when the flow is built, and ``flowbuilder compile``
masks them on standard output. Running the file previews the flow on two sample customers,
writing the file to a temporary folder, and prints what is written and the event the Shell
executor receives::

    python examples/nightly_export.py
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile

from flowbuilder import Flow
from flowbuilder.preview import PreviewResult, preview

__all__ = ["SAMPLE_CUSTOMERS", "flow", "run_sample"]

flow = Flow("nightly-customer-export", description="export yesterday's customers, then stop")
flow.parameters["EXPORT_DIR"] = "/data/exports/customers"
customers = flow.source(
    "JDBC Query Consumer",
    jdbc_connection_string="jdbc:postgresql://db.internal:5432/shop",
    username=os.environ.get("SHOP_DB_USER", ""),
    password=os.environ.get("SHOP_DB_PASSWORD", ""),
    incremental_mode=False,
    sql_query="SELECT id, name, email, country FROM customers WHERE created_at >= current_date - 1",
)
files = customers.to(
    "Field Masker",
    field_mask_configs=[{"fields": ["/email"], "mask": "xxxxxxxxxx", "maskType": "FIXED_LENGTH"}],
).to(
    "Local FS",
    data_format="DELIMITED",
    header_line="WITH_HEADER",
    directory_template="${EXPORT_DIR}",
    files_prefix="customers",
)
files.events().to("Shell", script="mv \"${record:value('/filepath')}\" /data/outbox/")
customers.events().to("Pipeline Finisher Executor", reset_origin=True)
flow.set_error_stage("Write to File", directory="/data/errors/customers")

#: What the query would return, for previews.
SAMPLE_CUSTOMERS = [
    {"id": 1, "name": "Ada", "email": "ada@example.com", "country": "UK"},
    {"id": 2, "name": "Linus", "email": "linus@example.org", "country": "FI"},
]


def run_sample(export_dir: str) -> PreviewResult:
    """Preview the flow on :data:`SAMPLE_CUSTOMERS`, writing the CSV file under ``export_dir``.

    >>> import tempfile
    >>> result = run_sample(tempfile.mkdtemp())
    >>> [record["/email"] for record in result["FieldMasker_01"].records]
    ['xxxxxxxxxx', 'xxxxxxxxxx']
    >>> [event.attributes["sdc.event.type"] for event in result["Shell_01"].input]
    ['file-closed']
    """
    fixed = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    return preview(
        flow,
        records=SAMPLE_CUSTOMERS,
        parameters={"EXPORT_DIR": export_dir},
        write_to_destinations=True,
        clock=lambda: fixed,
    )


if __name__ == "__main__":
    flow.validate().raise_for_errors()
    with tempfile.TemporaryDirectory() as folder:
        result = run_sample(folder)
        for record in result["LocalFS_01"].input:
            print("LocalFS_01 writes", record.value)
        for event in result["Shell_01"].input:
            print("Shell_01 receives", event.attributes["sdc.event.type"], "for", event["/filename"])
