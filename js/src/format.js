// Text for tables and panels: times relative to now (the exact time goes in a tooltip), long paths cut
// from the middle (the full path goes in a tooltip), and a sort order for each kind of column.

export const TIME_COLUMNS = new Set(["created_at", "last_run_at", "last_seen", "started_at", "ended_at"]);
export const NUMBER_COLUMNS = new Set(["distance", "reads", "writes"]);
export const PATH_COLUMNS = new Set(["name", "namespace", "uri"]);
export const PATH_CHARS = 48;

const UNITS = [["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

// "3 hours ago", "in 2 days", "just now"; "" for something that is not a time.
export function relativeTime(value, now = Date.now()) {
  const at = Date.parse(value);
  if (!value || Number.isNaN(at)) return "";
  const seconds = Math.round((at - now) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= s);
  const count = Math.round(Math.abs(seconds) / size);
  const words = `${count} ${unit}${count === 1 ? "" : "s"}`;
  return seconds < 0 ? `${words} ago` : `in ${words}`;
}

// "2025-06-01 09:00:00 UTC": the exact time, to the second and without the stored microseconds; "" for something that is not a time.
export function exactTime(value) {
  const at = Date.parse(value);
  if (!value || Number.isNaN(at)) return "";
  return `${new Date(at).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

// `text` cut from the middle to `limit` characters: a path's start and its telling end stay.
export function shortenMiddle(text, limit = PATH_CHARS) {
  const value = String(text ?? "");
  if (value.length <= limit) return value;
  const tail = Math.floor(((limit - 1) * 3) / 5);
  return `${value.slice(0, limit - 1 - tail)}…${value.slice(value.length - tail)}`;
}

// A comparator for rows by `column`; empty values sort last either way.
export function compareBy(column, descending = false) {
  const key = (row) => {
    const value = row[column];
    if (value === null || value === undefined || value === "") return null;
    if (TIME_COLUMNS.has(column)) return Date.parse(value);
    if (NUMBER_COLUMNS.has(column)) return Number(value);
    return String(value).toLowerCase();
  };
  return (a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  };
}
