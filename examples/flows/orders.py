"""Orders to files: mark each order as seen and write it as JSON; bad records go to an error file.

Dev Raw Data Source -> Expression Evaluator -> Local FS
error records -> Write to File
"""

from flowbuilder import Flow

orders = (
    Flow("orders", description="orders to files")
    .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1, "total": 42.5}')
    .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/seen", "expression": "${true}"}])
    .to("Local FS", data_format="JSON", directory_template="/data/orders")
    .on_error("Write to File", directory="/data/errors/orders")
)
