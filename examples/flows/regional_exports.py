"""One flow per region from a flows() function: the same shape, each with its own folder.

Dev Raw Data Source -> Expression Evaluator (tag the region) -> Local FS /data/exports/<region>
"""

from flowbuilder import Flow

REGIONS = ("eu", "us")


def export(region: str) -> Flow:
    """The export flow of one region."""
    return (
        Flow(f"export-{region}", description=f"daily export for {region.upper()}")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1}')
        .to(
            "Expression Evaluator",
            field_expressions=[{"fieldToSet": "/region", "expression": f"${{str:toUpper('{region}')}}"}],
        )
        .to("Local FS", data_format="JSON", directory_template=f"/data/exports/{region}")
        .on_error("Write to File", directory=f"/data/errors/export-{region}")
    )


def flows() -> list[Flow]:
    """Every regional export flow."""
    return [export(region) for region in REGIONS]
