"""Flow parameters: one flow for every site, with the site, threshold and folder as parameters.

    readings -> Expression Evaluator (tag the site, flag hot readings) -> Local FS ${OUT_DIR}/${SITE}
    error records -> Write to File

``flow.parameters`` holds the defaults (the engine's ``constants``); a job, or
``preview(..., parameters=...)``, runs the same flow with other values. Running the file
previews it twice, with the defaults and for another site::

    python examples/sensor_parameters.py
"""

from __future__ import annotations

from flowbuilder import Flow
from flowbuilder.preview import preview

__all__ = ["SAMPLE_READINGS", "flagged", "flow"]

flow = Flow("sensor-readings", description="tag sensor readings with their site and flag hot ones")
flow.parameters.update({"SITE": "zurich", "MAX_CELSIUS": 35, "OUT_DIR": "/data/sensors"})
(
    flow.source("Dev Raw Data Source", data_format="JSON", raw_data='{"sensor": "s-1", "celsius": 21.5}')
    .to(
        "Expression Evaluator",
        field_expressions=[
            {"fieldToSet": "/site", "expression": "${SITE}"},
            {"fieldToSet": "/hot", "expression": "${record:value('/celsius') > MAX_CELSIUS}"},
        ],
    )
    .to("Local FS", data_format="JSON", directory_template="${OUT_DIR}/${SITE}", files_prefix="readings")
    .on_error("Write to File", directory="${OUT_DIR}/errors")
)

#: Readings from three sensors.
SAMPLE_READINGS = [
    {"sensor": "s-1", "celsius": 21.5},
    {"sensor": "s-2", "celsius": 36.0},
    {"sensor": "s-3", "celsius": 31.0},
]


def flagged(**parameters: object) -> list[tuple[str, str, bool]]:
    """(site, sensor, hot) for each sample reading, with ``parameters`` overriding the defaults.

    >>> flagged()
    [('zurich', 's-1', False), ('zurich', 's-2', True), ('zurich', 's-3', False)]
    >>> flagged(SITE="seville", MAX_CELSIUS=30)
    [('seville', 's-1', False), ('seville', 's-2', True), ('seville', 's-3', True)]
    """
    result = preview(flow, records=SAMPLE_READINGS, parameters=parameters)
    return [(r["/site"], r["/sensor"], r["/hot"]) for r in result["LocalFS_01"].input]


if __name__ == "__main__":
    flow.validate().raise_for_errors()
    print("parameters:", flow.configuration["parameters"])
    print("defaults:", flagged())
    print("seville: ", flagged(SITE="seville", MAX_CELSIUS=30))
