"""Route orders by size with a Stream Selector: big orders to their own folder, the rest elsewhere.

Dev Raw Data Source -> Stream Selector -- /total >= 100 --> Local FS (big)
                                       -- default ------> Local FS (other)
"""

from flowbuilder import Flow

flow = Flow("order-routing", description="route big orders to their own files")
selector = flow.source(
    "Dev Raw Data Source",
    data_format="JSON",
    raw_data='{"id": "o-1", "total": 120}\n{"id": "o-2", "total": 30}',
).to("Stream Selector")
selector.when("${record:value('/total') >= 100}").to(
    "Local FS", data_format="JSON", directory_template="/data/orders/big", files_prefix="big"
)
selector.otherwise().to(
    "Local FS", data_format="JSON", directory_template="/data/orders/other", files_prefix="other"
)
flow.set_error_stage("Write to File", directory="/data/errors/order-routing")
