"""Kafka to S3: click events from a Kafka topic, stripped of personal data, to S3 by day.

    Kafka Consumer (topic clicks) -> Field Remover (drop /ip, /user_agent)
        -> Expression Evaluator (/day from the event time) -> Amazon S3 (JSON, partitioned by day)
    error records -> Write to File

The brokers and bucket are flow parameters. S3 is reached with the engine's IAM role, so the
flow holds no keys at all. Kafka and S3 cannot run offline, so this flow is validated, compiled
and drawn here; its processors are previewed in ``tests/test_examples.py`` with the origin's
records given and the S3 stage left out. Running the file validates it and prints the stages::

    python examples/clickstream_to_s3.py
"""

from __future__ import annotations

from flowbuilder import Flow

__all__ = ["flow"]

flow = Flow("clickstream-to-s3", description="click events from Kafka to S3, one folder per day")
flow.parameters.update({"KAFKA_BROKERS": "kafka-1:9092,kafka-2:9092", "BUCKET": "analytics-landing"})
(
    flow.source(
        "Kafka Consumer",
        broker_uri="${KAFKA_BROKERS}",
        topic="clicks",
        consumer_group="flowbuilder-clickstream",
        data_format="JSON",
        auto_offset_reset="LATEST",
    )
    .to("Field Remover", fields=["/ip", "/user_agent"])
    .to(
        "Expression Evaluator",
        field_expressions=[
            {
                "fieldToSet": "/day",
                "expression": "${time:extractStringFromDate("
                "time:millisecondsToDateTime(record:value('/ts')), 'yyyy-MM-dd')}",
            }
        ],
    )
    .to(
        "Amazon S3",
        type="destination",
        authentication_method="WITH_IAM_ROLES",
        use_specific_region=True,
        region="EU_WEST_1",
        bucket="${BUCKET}",
        common_prefix="clicks",
        partition_prefix="day=${record:value('/day')}",
        data_format="JSON",
    )
    .on_error("Write to File", directory="/data/errors/clickstream")
)


if __name__ == "__main__":
    flow.validate().raise_for_errors()
    for stage in flow.stages:
        print(f"{stage.instance_name:<24} {stage.type:<12} {stage.label}")
