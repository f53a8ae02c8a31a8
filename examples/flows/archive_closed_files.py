"""Events to an executor: when Local FS closes a file, a Shell executor compresses it.

Directory -> Local FS ==(file closed events)==> Shell (gzip the file)
"""

from flowbuilder import Flow

archive = Flow("archive-closed-files", description="write incoming CSV files, gzip each closed file")
written = archive.source(
    "Directory",
    files_directory="/data/incoming",
    file_name_pattern="*.csv",
    data_format="DELIMITED",
).to("Local FS", data_format="DELIMITED", directory_template="/data/landing")
written.events().to("Shell", script="gzip \"${record:value('/filepath')}\"")
archive.set_error_stage("Discard")
