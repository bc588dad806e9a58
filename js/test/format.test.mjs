import assert from "node:assert/strict";
import { test } from "node:test";
import { compareBy, exactTime, relativeTime, shortenMiddle } from "../src/format.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");

test("times read relative to now", () => {
  assert.equal(relativeTime("2025-06-01T11:59:50Z", NOW), "just now");
  assert.equal(relativeTime("2025-06-01T09:00:00+00:00", NOW), "3 hours ago");
  assert.equal(relativeTime("2025-05-31T12:00:00Z", NOW), "1 day ago");
  assert.equal(relativeTime("2025-06-03T12:00:00Z", NOW), "in 2 days");
  assert.equal(relativeTime("not a time", NOW), "");
  assert.equal(relativeTime(null, NOW), "");
});

test("long paths are cut from the middle, keeping both ends", () => {
  const path = "/mnt/cluster_storage/team/projects/churn/features/2025/06/01/part-0001.parquet";
  const short = shortenMiddle(path, 40);
  assert.equal(short.length, 40);
  assert.ok(short.startsWith("/mnt/cluster_st") && short.endsWith("01/part-0001.parquet") && short.includes("…"));
  assert.equal(shortenMiddle("short.csv", 40), "short.csv");
});

test("columns sort by their kind: times as times, counts as numbers, empty last", () => {
  const rows = [
    { name: "b", reads: 10, last_run_at: "2025-01-02T00:00:00Z" },
    { name: "a", reads: 9, last_run_at: "2025-01-10T00:00:00Z" },
    { name: "C", reads: null, last_run_at: null },
  ];
  assert.deepEqual([...rows].sort(compareBy("reads")).map((r) => r.name), ["a", "b", "C"]);
  assert.deepEqual([...rows].sort(compareBy("reads", true)).map((r) => r.name), ["b", "a", "C"]);
  assert.deepEqual([...rows].sort(compareBy("last_run_at", true)).map((r) => r.name), ["a", "b", "C"]);
  assert.deepEqual([...rows].sort(compareBy("name")).map((r) => r.name), ["a", "b", "C"]);
});

test("the exact time is shown to the second, in UTC, without microseconds", () => {
  assert.equal(exactTime("2025-01-01T00:03:00.000000+00:00"), "2025-01-01 00:03:00 UTC");
  assert.equal(exactTime("2025-06-01T11:59:50+02:00"), "2025-06-01 09:59:50 UTC");
  assert.equal(exactTime("not a time"), "");
});
