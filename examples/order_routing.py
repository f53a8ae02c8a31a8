"""Order routing: type the raw fields, price each order, and route big orders to their own files.

    orders (JSON) -> Field Type Converter -> Expression Evaluator -> Stream Selector
        Stream Selector: total >= BIG_ORDER -> Local FS (big orders)
                         default            -> Local FS (all other orders)
    error records -> Write to File

Every order must have an ``/id`` (required field) and a positive quantity (precondition);
orders that fail go to the error stage as the origin produced them.
"""

from __future__ import annotations

from flowbuilder import Flow

__all__ = ["BIG_ORDER", "build"]

#: Orders whose total reaches this go to the big-orders files.
BIG_ORDER = 100


def build(output_dir: str = "/data/orders") -> Flow:
    """The order routing flow, writing under ``output_dir``.

    >>> build().name
    'order-routing'
    """
    flow = Flow("order-routing", description="price orders and route the big ones")
    flow.parameters["OUTPUT_DIR"] = output_dir
    flow.parameters["BIG_ORDER"] = BIG_ORDER
    priced = (
        flow.source(
            "Dev Raw Data Source",
            data_format="JSON",
            raw_data='{"id": "o-1", "qty": "2", "price": "60.00", "country": "fr"}',
        )
        .to(
            "Field Type Converter",
            required_fields=["/id"],
            field_type_converter_configs=[
                {"fields": ["/qty"], "targetType": "INTEGER"},
                {"fields": ["/price"], "targetType": "DECIMAL", "scale": 2},
            ],
        )
        .to(
            "Expression Evaluator",
            preconditions=["${record:value('/qty') > 0}"],
            field_expressions=[
                {"fieldToSet": "/total", "expression": "${record:value('/qty') * record:value('/price')}"},
                {"fieldToSet": "/country", "expression": "${str:toUpper(record:value('/country'))}"},
            ],
            header_attribute_expressions=[
                {"attributeToSet": "route", "headerAttributeExpression": "${record:value('/country')}"}
            ],
        )
        .to("Stream Selector")
    )
    priced.when("${record:value('/total') >= BIG_ORDER}").to(
        "Local FS", data_format="JSON", directory_template="${OUTPUT_DIR}/big", files_prefix="big"
    )
    priced.otherwise().to(
        "Local FS", data_format="JSON", directory_template="${OUTPUT_DIR}/other", files_prefix="other"
    )
    flow.set_error_stage("Write to File", directory="${OUTPUT_DIR}/errors")
    return flow
