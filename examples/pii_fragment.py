"""A fragment written once and used in two flows: mask personal data, tag where it came from.

    fragment "mask pii":  (input) -> Field Masker (/ssn) -> Expression Evaluator (/source = ${SOURCE})
    orders:     Dev Raw Data Source -> [mask pii, prefix ORDERS_]    -> Trash
    customers:  Dev Raw Data Source -> [mask pii, prefix CUSTOMERS_] -> Trash

Each flow gets the fragment's parameter under its own prefix (``ORDERS_SOURCE``,
``CUSTOMERS_SOURCE``), compiles to the engine's JSON for fragment stages (the fragment's
definition embedded in ``fragments``), and previews as the engine runs it: expanded. Running the
file validates both flows, previews one record through each, and stores the three in a local
project (``./.flowbuilder``), where the users record the fragment they use::

    python examples/pii_fragment.py
"""

from __future__ import annotations

from flowbuilder import Flow, Fragment, Project
from flowbuilder.preview import preview

__all__ = ["customers", "flow", "mask", "masked", "orders"]

mask = Fragment("mask pii", description="mask the SSN and tag the record's source")
mask.parameters["SOURCE"] = "unknown"
(
    mask.input("Field Masker", field_mask_configs=[{"fields": ["/ssn"], "maskType": "FIXED_LENGTH"}]).to(
        "Expression Evaluator", field_expressions=[{"fieldToSet": "/source", "expression": "${SOURCE}"}]
    )
)


def _user(name: str, prefix: str, source: str) -> Flow:
    user = (
        Flow(name, description=f"{name}, with personal data masked")
        .source("Dev Raw Data Source", data_format="JSON", raw_data='{"ssn": "123-45-6789"}')
        .to(mask, parameter_name_prefix=prefix)
        .to("Trash")
        .flow
    )
    user.parameters[f"{prefix}SOURCE"] = source
    return user


orders = _user("orders", "ORDERS_", "orders-db")
customers = _user("customers", "CUSTOMERS_", "crm")
#: The flow drawn on the examples page.
flow = orders


def masked(user: Flow) -> list[dict[str, object]]:
    """What reaches the user's Trash for one record.

    >>> masked(orders), masked(customers)
    ([{'ssn': 'xxxxxxxxxx', 'source': 'orders-db'}], [{'ssn': 'xxxxxxxxxx', 'source': 'crm'}])
    """
    result = preview(user, records=[{"ssn": "123-45-6789"}])
    return [record.value for record in result["Trash_01"].input]


def main() -> None:
    for user in (orders, customers):
        user.validate().raise_for_errors()
        print(f"{user.name}: {[s.instance_name for s in user.stages]} -> {masked(user)}")
    print("expanded:", [s.instance_name for s in orders.expanded().stages])
    with Project.local() as project:
        for item in (mask, orders, customers):
            if not project.flows.get_all(name=item.name):
                project.create_flow(name=item.name, flow=item)
        stored = project.flows.get(name="orders")
        print("orders uses:", stored.fragment_ids == [mask.fragment_id])


if __name__ == "__main__":
    main()
