"""The capturing process: the workload session, OpenLineage events, the emitter and its sinks."""
