"""The flows of the diagram gallery (docs/diagrams.md).

Regenerate the pictures with ``python scripts/build_gallery.py``; or draw any of them yourself
with ``flowbuilder render docs/gallery/flows.py -o out/``.
"""

from __future__ import annotations

from flowbuilder import Flow, merge

__all__ = ["flows"]

RAW = '{"id": 1, "country": "CH", "total": 120}'


def linear() -> Flow:
    """One origin, two processors, one destination."""
    return (
        Flow("linear", description="orders to files")
        .source("Dev Raw Data Source", data_format="JSON", raw_data=RAW)
        .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/seen", "expression": "${true}"}])
        .to("Field Remover", fields=["/internal"])
        .to("Local FS", directory_template="/data/orders", data_format="JSON")
        .flow
    )


def branches() -> Flow:
    """A Stream Selector routing records by predicate, with the default lane last."""
    flow = Flow("branches", description="route orders by country and size")
    selector = flow.source("Dev Raw Data Source", data_format="JSON", raw_data=RAW).to("Stream Selector")
    selector.when("${record:value('/country') == 'CH'}").to(
        "Local FS", directory_template="/data/ch", data_format="JSON"
    )
    selector.when("${record:value('/total') > 100 && record:value('/country') != 'CH'}").to(
        "Local FS", directory_template="/data/big", data_format="JSON"
    )
    selector.otherwise().to("Trash")
    return flow


def fan_in() -> Flow:
    """Two branches processed apart, then merged into one destination."""
    flow = Flow("fan-in", description="mask some records, keep the rest, write all")
    selector = flow.source("Dev Raw Data Source", data_format="JSON", raw_data=RAW).to("Stream Selector")
    masked = selector.when("${record:value('/country') == 'CH'}").to(
        "Field Masker", field_mask_configs=[{"fields": ["/total"], "mask": "xxxxxxxxxx"}]
    )
    kept = selector.otherwise().to("Dev Identity")
    merge(masked, kept).to("Local FS", directory_template="/data/all", data_format="JSON")
    return flow


def events() -> Flow:
    """Event lanes (dashed) from a destination and an origin to executors."""
    flow = Flow("events", description="act when files close and when the origin runs dry")
    origin = flow.source(
        "Directory", files_directory="/data/in", file_name_pattern="*.json", data_format="JSON"
    )
    written = origin.to("Local FS", directory_template="/data/out", data_format="JSON")
    written.events().to("Shell", script="gzip \"${record:value('/filepath')}\"")
    origin.events().to("Pipeline Finisher Executor")
    return flow


def error_handling() -> Flow:
    """Error records to files, and a script run when the flow starts: the flow settings cluster."""
    flow = (
        Flow("error-handling", description="bad records go to /data/errors")
        .source("Dev Raw Data Source", data_format="JSON", raw_data=RAW)
        .to("Field Type Converter")
        .to("Trash")
        .on_error("Write to File", directory="/data/errors")
    )
    flow.set_start_event_stage("Shell", script="mkdir -p /data/errors")
    return flow


def invalid() -> Flow:
    """A flow with validation errors: the stages at fault are outlined in red."""
    flow = Flow("invalid", description="drawn even though it does not validate")
    path = flow.source("Dev Raw Data Source", data_format="JSON", raw_data=RAW).to("Local FS")
    path.events().to("Shell")
    flow.add_stage("Trash")
    return flow


def flows() -> list[Flow]:
    """Every gallery flow, in the order docs/diagrams.md shows them."""
    return [linear(), branches(), fan_in(), events(), error_handling(), invalid()]
