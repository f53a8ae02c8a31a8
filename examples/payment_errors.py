"""Error records with Write to File and STAGE_RECORD: failed payments never carry card numbers.

    payments -> Field Remover (drop /card_number) -> Field Type Converter (/amount to DECIMAL)
             -> Expression Evaluator (EUR and USD only; add the fee) -> Local FS
    error records, as the failing stage saw them -> Write to File

With the default policy (``ORIGINAL_RECORD``) a payment that fails after the Field Remover
would reach the error files as the origin produced it, card number included. With
``STAGE_RECORD`` it arrives as the stage that rejected it saw it: already without the number.
Running the file previews both policies on sample payments::

    python examples/payment_errors.py
"""

from __future__ import annotations

import datetime as dt

from flowbuilder import Flow
from flowbuilder.preview import PreviewResult, preview

__all__ = ["SAMPLE_PAYMENTS", "error_records", "flow"]

flow = (
    Flow("payments", description="validate and price card payments; reject the rest without card data")
    .source(
        "Dev Raw Data Source",
        data_format="JSON",
        raw_data='{"id": "p-1", "card_number": "4111111111111111", "amount": "20.00", "currency": "EUR"}',
    )
    .to("Field Remover", fields=["/card_number"])
    .to(
        "Field Type Converter",
        required_fields=["/amount"],
        field_type_converter_configs=[{"fields": ["/amount"], "targetType": "DECIMAL", "scale": 2}],
    )
    .to(
        "Expression Evaluator",
        preconditions=["${record:value('/currency') == 'EUR' or record:value('/currency') == 'USD'}"],
        field_expressions=[{"fieldToSet": "/fee", "expression": "${record:value('/amount') * 0.015}"}],
    )
    .to("Local FS", data_format="JSON", directory_template="/data/payments", files_prefix="payments")
    .on_error("Write to File", directory="/data/errors/payments", files_prefix="failed-payments")
)
flow.configuration["error_record_policy"] = "STAGE_RECORD"

#: Three payments: one good, one with an amount that is not a number, one in a currency not taken.
SAMPLE_PAYMENTS = [
    {"id": "p-1", "card_number": "4111111111111111", "amount": "20.00", "currency": "EUR"},
    {"id": "p-2", "card_number": "5500000000000004", "amount": "twelve", "currency": "USD"},
    {"id": "p-3", "card_number": "340000000000009", "amount": "8.50", "currency": "GBP"},
]


def error_records(policy: str = "STAGE_RECORD") -> PreviewResult:
    """Preview the flow on :data:`SAMPLE_PAYMENTS` with the given error record policy.

    >>> [(r.error_code, "card_number" in r.value) for r in error_records().error_records]
    [('CONVERTER_00', False), ('CONTAINER_0051', False)]
    >>> [(r.error_code, "card_number" in r.value) for r in error_records("ORIGINAL_RECORD").error_records]
    [('CONVERTER_00', True), ('CONTAINER_0051', True)]
    """
    copy = Flow.from_json(flow.to_json())
    copy.configuration["error_record_policy"] = policy
    fixed = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    return preview(copy, records=SAMPLE_PAYMENTS, clock=lambda: fixed)


if __name__ == "__main__":
    flow.validate().raise_for_errors()
    result = error_records()
    for record in result["LocalFS_01"].input:
        print("written:", record.value)
    for record in result.error_records:
        print(f"to error ({record.error_stage}, {record.error_code}):", record.value)
