import os

import pytest

from lineage_nb.core.naming import dataset_name, dataset_root, infer_format, redact_text, sql_dataset_name, strip_credentials

CASES = [
    ("/data/raw/orders.parquet", "file", "/data/raw/orders.parquet"),
    ("/data//raw/./x/../orders/", "file", "/data/raw/orders"),
    ("file:///data/raw", "file", "/data/raw"),
    ("file://nas01/share/raw", "file://nas01", "/share/raw"),
    ("s3://bucket/train/", "s3://bucket", "train"),
    ("s3a://bucket/a/b.parquet", "s3://bucket", "a/b.parquet"),
    ("s3n://bucket/a", "s3://bucket", "a"),
    ("gs://b/k/x.csv", "gs://b", "k/x.csv"),
    ("gcs://b/k", "gs://b", "k"),
    ("abfss://cont@acct.dfs.core.windows.net/p/q", "abfss://cont@acct.dfs.core.windows.net", "p/q"),
    ("hdfs://nn:9000/warehouse/t", "hdfs://nn:9000", "/warehouse/t"),
    ("hdfs://nn/warehouse/t", "hdfs://nn:8020", "/warehouse/t"),
    ("dbfs:/mnt/data", "dbfs://workspace", "/mnt/data"),
    ("https://example.com/data/file.csv", "https://example.com", "/data/file.csv"),
]


@pytest.mark.parametrize("raw,namespace,name", CASES)
def test_naming_table(raw, namespace, name):
    named = dataset_name(raw)
    assert (named.namespace, named.name) == (namespace, name)


def test_relative_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert dataset_name("out/x").name == os.path.join(str(tmp_path), "out", "x")


@pytest.mark.parametrize(
    "raw,secret",
    [
        ("s3://AKIAKEY:SeCrEt@bucket/k", "SeCrEt"),
        ("https://user:hunter2@host/p", "hunter2"),
        ("https://bucket.s3.amazonaws.com/k?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA&v=1", "deadbeef"),
        ("https://acct.blob.core.windows.net/c/k?sv=2020&sig=s1gn4ture", "s1gn4ture"),
        ("https://host/p?token=t0k3n", "t0k3n"),
        ("https://host/p?access_token=t0k3n", "t0k3n"),
    ],
)
def test_credentials_never_survive_naming(raw, secret):
    named = dataset_name(raw)
    assert secret not in named.namespace + named.name + named.uri
    assert secret not in strip_credentials(raw)
    assert secret not in redact_text(f"reading {raw} now")


def test_harmless_query_parameters_are_kept():
    assert strip_credentials("https://host/p?version=3&sig=x") == "https://host/p?version=3"


def test_sql_names_strip_credentials_and_follow_the_spec():
    named = sql_dataset_name("postgresql+psycopg://user:pw@db.local/sales", "orders")
    assert (named.namespace, named.name) == ("postgres://db.local:5432", "sales.public.orders")
    assert "pw" not in named.uri
    assert sql_dataset_name("mysql://u:p@h:3307/shop", "items").name == "shop.items"


def test_storage_roots_name_the_owner():
    roots = (("/mnt/cluster_storage", "file://{workload_id}"),)
    named = dataset_name("/mnt/cluster_storage/x", roots, workload_id="wl-1")
    assert (named.namespace, named.name) == ("file://wl-1", "/mnt/cluster_storage/x")
    assert dataset_name("/mnt/other/x", roots).namespace == "file"


@pytest.mark.parametrize(
    "paths,root",
    [
        (["/d/t/a.parquet", "/d/t/b.parquet"], "/d/t"),
        (["/d/t/*.parquet"], "/d/t"),
        (["/d/t/date=2024-01-01/a.parquet", "/d/t/date=2024-01-02/b.parquet"], "/d/t"),
        (["/d/t"], "/d/t"),
        (["s3://b/t/a.csv", "s3://b/t/b.csv"], "s3://b/t"),
        (["s3://b/t/year=2024/month=1/p.parquet"], "s3://b/t"),
    ],
)
def test_a_read_of_many_files_is_one_dataset(paths, root):
    assert dataset_root(paths) == root


@pytest.mark.parametrize(
    "path,fmt",
    [("a.parquet", "parquet"), ("a.csv.gz", "csv"), ("x.jsonl", "json"), ("img.PNG", "images"), ("a.npy", "numpy"),
     ("t.tfrecords", "tfrecords"), ("f.feather", "arrow"), ("f.avro", "avro"), ("f.orc", "orc"), ("notes.txt", "text"), ("noext", None)],
)
def test_format_from_extension(path, fmt):
    assert infer_format(path) == fmt


def test_format_from_a_directory_of_files(tmp_path):
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / "part-0.parquet").write_bytes(b"x")
    assert infer_format(str(tmp_path)) == "parquet"


@pytest.mark.parametrize("bad", [None, 3, b"/x"])
def test_non_string_paths_are_rejected_clearly(bad):
    with pytest.raises(TypeError, match="must be a string"):
        dataset_name(bad)


def test_local_paths_are_named_as_openlineage_pythons_local_file_system_names_them(tmp_path):
    from openlineage.client.naming.dataset import LocalFileSystem

    for path in (tmp_path / "features", tmp_path / "a b" / "c.parquet", "relative/dir"):
        named = dataset_name(str(path))
        spec = LocalFileSystem(path=os.path.abspath(str(path)))
        assert (named.namespace, named.name) == (spec.get_namespace(), spec.get_name())
