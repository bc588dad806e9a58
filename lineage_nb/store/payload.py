"""Raw event payloads, compressed with zlib and a preset dictionary of common OpenLineage text.

Most of a small event is keys, facet schema URLs and producer URLs that every event repeats;
a preset dictionary lets zlib refer back to them from the first byte. The zlib header records
the dictionary's Adler-32 id, so a payload says which dictionary it needs: payloads written
without one (older stores) and with any past dictionary stay readable. Never edit a
dictionary in place; add a new one to DICTIONARIES and point CURRENT at it.
"""
from __future__ import annotations

import zlib

LEVEL = 6
_FDICT = 0x20

# Canonical events are written with sorted keys and no spaces; the dictionary follows that form.
# zlib prefers matches near the end of the dictionary, so the most common text comes last.
_DICTIONARY_V1 = "".join(
    (
        '"datasetType":"MODEL"',
        '"columnLineage":{"fields":{',
        '"inputFields":[{"field":"',
        '"transformations":[{"type":"DIRECT","subtype":"IDENTITY"',
        '"sql":{"query":"SELECT ',
        '"documentation":{"description":"',
        '"nominalTime":{"nominalStartTime":"',
        '"errorMessage":{"message":"',
        '"programmingLanguage":"python"',
        '"stackTrace":"Traceback (most recent call last):\\n  File \\"',
        '"symlinks":{"identifiers":[{"name":"',
        '"version":{"datasetVersion":"',
        '"lifecycleStateChange":"OVERWRITE"',
        '"dataQualityMetrics":{"columnMetrics":{',
        '"inputStatistics":{"rowCount":',
        '"outputStatistics":{"rowCount":',
        ',"size":',
        '"ownership":{"owners":[{"name":"',
        '"type":"MAINTAINER"}]',
        '"sourceCodeLocation":{"type":"git","url":"https://github.com/',
        '"jobType":{"integration":"',
        '","jobType":"JOB","processingType":"BATCH"',
        '"processing_engine":{"name":"',
        '","openlineageAdapterVersion":"',
        '"parent":{"job":{"name":"',
        '"lineageNb_artifact":{"properties":{',
        '"lineageNb_execution":{',
        '"activity":"ray_data.write","cellExecutionCount":',
        '"cellSource":"',
        '"mlflowExperimentId":"","mlflowRunId":"","mlflowTrackingUri":"',
        '"lineageNb_workload":{',
        '"host":"","lineageNbVersion":"","osVersion":"Linux-',
        '"owner":"","project":"","pythonVersion":"3.',
        '"rayVersion":"2.","workloadId":"","workloadName":"","workloadType":"notebook"',
        '"storage":{"fileFormat":"parquet","storageLayer":"default"',
        '"dataSource":{"name":"s3://","uri":"s3://',
        '"schema":{"fields":[{"name":"id","type":"int64"},{"name":"',
        '","type":"string"},{"name":"","type":"double"},{"name":"',
        '","type":"timestamp[us]"}]}',
        "https://openlineage.io/spec/facets/1-0-0/",
        "https://openlineage.io/spec/facets/1-0-1/",
        "https://openlineage.io/spec/facets/1-1-0/",
        "https://openlineage.io/spec/facets/1-2-0/",
        "RunFacet.json#/$defs/",
        "JobFacet.json#/$defs/",
        "DatasetFacet.json#/$defs/",
        "https://github.com/lineage-nb/lineage_nb/tree/v",
        "https://raw.githubusercontent.com/lineage-nb/lineage_nb/v",
        "https://github.com/OpenLineage/OpenLineage/tree/",
        "/integration/",
        '"schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"',
        '"_producer":"https://github.com/',
        '"_schemaURL":"https://openlineage.io/spec/facets/1-0-1/',
        '"eventTime":"20',
        'T00:00:00.000Z","eventType":"COMPLETE","inputs":[',
        '"eventType":"RUNNING","eventType":"START","eventType":"FAIL"',
        '{"facets":{},"name":"',
        '"},"namespace":"',
        '"outputs":[{"facets":{',
        '"producer":"https://github.com/',
        '"run":{"facets":{',
        '"runId":"',
        '"job":{"facets":{',
    )
).encode("utf-8")

DICTIONARIES = {zlib.adler32(_DICTIONARY_V1): _DICTIONARY_V1}
CURRENT = _DICTIONARY_V1


def compress(payload: bytes) -> bytes:
    packer = zlib.compressobj(LEVEL, zdict=CURRENT)
    return packer.compress(payload) + packer.flush()


def decompress(blob: bytes) -> bytes:
    if len(blob) < 6 or not blob[1] & _FDICT:
        return zlib.decompress(blob)
    dictionary_id = int.from_bytes(blob[2:6], "big")
    dictionary = DICTIONARIES.get(dictionary_id)
    if dictionary is None:
        raise ValueError(f"event payload needs an unknown compression dictionary {dictionary_id:#010x}; upgrade lineage_nb")
    unpacker = zlib.decompressobj(zdict=dictionary)
    return unpacker.decompress(blob) + unpacker.flush()
