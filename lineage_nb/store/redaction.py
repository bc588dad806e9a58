"""Secrets out of every event before anything of it is stored, whichever door it came in by.

Capture, `import`, `serve` and the emitter all store through `PreparedBatch.add`, which calls
`redact_event` first, so the raw payload, its key, the graph rows and any error message about
the event are made from the redacted event. What is removed (docs/interop.md):

- user:password@ in any URI, and signed-URL query parameters (`X-Amz-Signature`, `sig`, `token`...).
  In identity fields (namespace, name, uri, url) they are dropped, so `s3://KEY:SECRET@bucket`
  is the dataset `s3://bucket`; in other text they become `***`.
- token-like values: known key formats (AWS key ids, GitHub/GitLab/Slack tokens, JSON web
  tokens, PEM private keys...), `password=...`-style assignments, bearer credentials, SQL secret
  literals (core/naming.py `redact_tokens`).
- the whole value of a field whose name names a secret (`password`, `apiKey`, `client_secret`...),
  and of `{"name": "AWS_SECRET_ACCESS_KEY", "value": ...}` pairs (the environmentVariables facet).

Redaction is a pure function of the event, so the same input always gives the same stored
event and key. Most events hold nothing to redact: a scan of the payload bytes for anything a
rule could match (`might_hold_secrets`) lets them through untouched.
"""
from __future__ import annotations

import functools
import re
from typing import Any

from lineage_nb.core.naming import REDACTED, SENSITIVE_QUERY_WORDS, is_secret_name, redact_text, redact_tokens, strip_credentials
from lineage_nb.store.validate import InvalidEvent

IDENTITY_KEYS = frozenset({"namespace", "name", "uri", "url"})


@functools.cache
def _hints() -> Any:
    """One pattern for anything a redaction rule needs to find something, compiled for RE2, whose
    automaton scans a payload once (Python's `re` tries each alternative at every position, 30x slower).
    Case-insensitive and looser than the rules, so a payload it passes holds nothing to redact
    (tests/test_redaction.py checks that on random and planted events)."""
    import re2

    words = (
        "passw", "pwd", "secret", "token", "key", "credential", "authoriz", "sas", "signature", "identified", "bearer", "basic",
        "akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa", "gh[pousr]_", "github_pat_", "glpat-", "xox[abprs]-",
        "sk-", "[sr]k_(?:live|test)_", "dapi", "aiza", "eyj",
    )
    query_words = "|".join(re.escape(word) for word in SENSITIVE_QUERY_WORDS)
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True
    return re2.compile(rf'://[^@\s"]*@|\?[\s\S]*(?:{query_words})|' + "|".join(words), options)


def might_hold_secrets(payload: bytes) -> bool:
    """False when no redaction rule can match anything in this JSON text (most events)."""
    return _hints().search(payload) is not None


def redact_event(event: Any) -> Any:
    """The event with every credential removed (see the module's docstring)."""
    try:
        return _redacted(event, "", False)
    except RecursionError:
        raise InvalidEvent("event nested too deeply") from None


def _redacted(value: Any, key: str, secret: bool) -> Any:
    if value.__class__ is str:
        return REDACTED if secret else _clean(value, key in IDENTITY_KEYS)
    if isinstance(value, dict):
        name = value.get("name")
        secret_pair = "value" in value and isinstance(name, str) and _secret_name(name)
        return {
            k: _redacted(v, k, secret or (isinstance(k, str) and _secret_name(k)) or (secret_pair and k == "value"))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item, key, secret) for item in value]
    if secret and value is not None and not isinstance(value, bool):
        return REDACTED
    return value


# An event that needs redacting is walked whole, and most of its strings (keys, types, names) recur
# from event to event: each distinct string is cleaned once.
@functools.lru_cache(maxsize=1 << 16)
def _clean(text: str, identity: bool) -> str:
    return redact_tokens(strip_credentials(text)) if identity else redact_text(text)


_secret_name = functools.lru_cache(maxsize=1 << 12)(is_secret_name)
