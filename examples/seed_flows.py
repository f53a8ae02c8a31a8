"""The Flows page of the watsonx.data integration SDK, done with flowbuilder on the local store.

    orders (Dev Raw Data Source) -> Expression Evaluator (mark as seen) -> Local FS
    error records -> Write to File

``flow`` is the flow as authored; running the file stores it in the local project under
``./.flowbuilder`` and walks the page: retrieve, create, edit, update, duplicate, delete and
handle error records, printing what the SDK's page shows::

    python examples/seed_flows.py
"""

from __future__ import annotations

from flowbuilder import Flow, Project

__all__ = ["flow", "walk"]

flow = (
    Flow("My first flow", description="orders to files")
    .source("Dev Raw Data Source", data_format="JSON", raw_data='{"id": 1, "total": 42.5}')
    .to("Expression Evaluator", field_expressions=[{"fieldToSet": "/seen", "expression": "${true}"}])
    .to("Local FS", data_format="JSON", directory_template="/data/out")
    .on_error("Write to File", directory="/data/errors")
)


def walk(project: Project) -> None:
    """Store ``flow`` in ``project`` and go through the Flows page, printing each step.

    >>> walk(Project.memory())
    validate: 0 issues
    create:    StreamsetsFlow(name='My first flow', description='optional description', flow_id=...)
    retrieve:  ['My first flow']
    edit:      retry_pipeline_on_error True -> False
    update:    <Response [200]>
    duplicate: StreamsetsFlow(name='duplicated flow', description='duplicate of My first flow', ...)
    delete:    <Response [204]>
    errors:    STAGE_RECORD WritetoFile_ErrorStage() /data/errors/orders
    """
    print(f"validate: {len(flow.validate().issues)} issues")
    for earlier in project.flows.get_all(name=flow.name):  # left by an earlier run of this file
        project.delete_flow(earlier)
    environment = project.environments.get(name="local")
    stored = project.create_flow(
        name=flow.name, environment=environment, description="optional description", flow=flow
    )
    print("create:   ", stored)
    print("retrieve: ", [f.name for f in project.flows])
    stored = project.flows.get(flow_id=stored.flow_id)
    before = stored.configuration["retry_pipeline_on_error"]
    stored.configuration["retry_pipeline_on_error"] = False
    after = stored.configuration["retry_pipeline_on_error"]
    print("edit:     ", "retry_pipeline_on_error", before, "->", after)
    print("update:   ", project.update_flow(stored))
    copy = project.duplicate_flow(stored, name="duplicated flow", description=f"duplicate of {stored.name}")
    print("duplicate:", copy)
    print("delete:   ", project.delete_flow(copy))
    stored.configuration["error_record_policy"] = "STAGE_RECORD"
    write_to_file = stored.set_error_stage("Write to File")
    write_to_file.configuration["directory"] = "/data/errors/orders"
    project.update_flow(stored)
    again = project.flows.get(flow_id=stored.flow_id)
    print(
        "errors:   ",
        again.configuration["error_record_policy"],
        again.error_stage,
        again.error_stage.configuration["directory"] if again.error_stage else None,
    )


if __name__ == "__main__":
    with Project.local() as local:
        walk(local)
