"""Raw event payloads, compressed with zstd and a preset dictionary of common OpenLineage text.

Most of a small event is keys, facet schema URLs and producer URLs that every event repeats;
a preset dictionary lets the compressor refer back to them from the first byte.

A payload says how to read it. New payloads are one tag byte, naming the dictionary, then a
zstd frame; zstd compresses as small as zlib at a quarter of the CPU. Older stores hold zlib
streams (first byte 0x78, or 0x08-0x68 for smaller windows: never a tag), whose header names
their dictionary by Adler-32. All stay readable. Never edit a dictionary in place; add a new
one with a new tag and point CURRENT_TAG at it.
"""
from __future__ import annotations

import threading
import zlib

import zstandard

ZSTD_LEVEL = 3
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

ZLIB_DICTIONARIES = {zlib.adler32(_DICTIONARY_V1): _DICTIONARY_V1}
ZSTD_DICTIONARIES = {1: _DICTIONARY_V1}
CURRENT_TAG = 1

# zstd contexts are not safe to share between threads; the emitter, the server's writer and the
# caller's thread each get their own.
_contexts = threading.local()


def _zstd_dictionary(tag: int) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(ZSTD_DICTIONARIES[tag], dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _compressor() -> zstandard.ZstdCompressor:
    packer = getattr(_contexts, "compressor", None)
    if packer is None:
        packer = _contexts.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=_zstd_dictionary(CURRENT_TAG))
    return packer


def _decompressor(tag: int) -> zstandard.ZstdDecompressor:
    unpackers = getattr(_contexts, "decompressors", None)
    if unpackers is None:
        unpackers = _contexts.decompressors = {}
    if tag not in unpackers:
        unpackers[tag] = zstandard.ZstdDecompressor(dict_data=_zstd_dictionary(tag))
    return unpackers[tag]


def compress(payload: bytes) -> bytes:
    return bytes((CURRENT_TAG,)) + _compressor().compress(payload)


def compress_many(payloads: list[bytes]) -> list[bytes]:
    """`compress` for each payload. Large batches go to zstd in one call that releases the GIL,
    so other threads (the server's event loop, the emitter's caller) run meanwhile."""
    packer = _compressor()
    if len(payloads) < 16 or not hasattr(packer, "multi_compress_to_buffer"):  # the C backend has it
        return [compress(payload) for payload in payloads]
    tag = bytes((CURRENT_TAG,))
    return [tag + frame.tobytes() for frame in packer.multi_compress_to_buffer(payloads, threads=1)]


def decompress(blob: bytes) -> bytes:
    if blob and blob[0] in ZSTD_DICTIONARIES:
        return _decompressor(blob[0]).decompress(blob[1:])
    if len(blob) < 6 or not blob[1] & _FDICT:
        return zlib.decompress(blob)
    dictionary_id = int.from_bytes(blob[2:6], "big")
    dictionary = ZLIB_DICTIONARIES.get(dictionary_id)
    if dictionary is None:
        raise ValueError(f"event payload needs an unknown compression dictionary {dictionary_id:#010x}; upgrade lineage_nb")
    unpacker = zlib.decompressobj(zdict=dictionary)
    return unpacker.decompress(blob) + unpacker.flush()
