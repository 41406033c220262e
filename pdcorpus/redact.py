"""One place that hides secrets: everything pdcorpus records or prints about a path goes through ``redact``.

What counts as a secret:

- the userinfo of a URL (``https://user:pass@host/...`` -> ``https://***@host/...``): a user name alone
  can be a token (``https://TOKEN@github.com``), so the whole userinfo goes;
- the value of a query parameter whose name looks like a credential (``token``, ``access_token``,
  ``key``, ``api_key``, ``sig``, ``signature``, ``X-Amz-Signature``, ``X-Amz-Credential``,
  ``password``, ``secret``, ...): ``?token=abc`` -> ``?token=***``;
- every value interpolated from ``${ENV}`` into a corpus file (``register_env`` is called by
  ``load_config``): it is put back as ``${NAME}``, also where it appears URL-encoded.

Redaction is applied where a value leaves the process: the manifest (and so the card and the summary),
the work state and markers, rejects, error messages and the command's output.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping
from urllib.parse import quote

MASK = "***"
# Environment values shorter than this are not replaced: "1" or "en" would mangle every text.
MIN_SECRET_CHARS = 3

# Names of query parameters that carry credentials (compared lower-cased, '-' read as '_').
SECRET_PARAMS = frozenset({
    "token", "access_token", "refresh_token", "id_token", "auth", "auth_token", "authorization",
    "key", "api_key", "apikey", "access_key", "accesskey", "secret", "secret_key", "client_secret",
    "password", "passwd", "pwd", "pass", "sig", "signature", "credential", "credentials", "session",
    "session_token", "sessionid", "x_amz_signature", "x_amz_credential", "x_amz_security_token",
    "x_goog_signature", "x_goog_credential", "googleaccessid", "awsaccesskeyid", "hf_token",
    "private_token", "code",
})
# Paging cursors of public APIs are not credentials, although their names hold "token" (OAI-PMH's
# resumptionToken, Google-style pageToken): an error must still say which page failed.
NOT_SECRET_PARAMS = frozenset({"resumptiontoken", "pagetoken", "page_token", "nextpagetoken", "next_page_token",
                               "continuationtoken", "continuation_token"})
# ... and any parameter whose name contains one of these.
_SECRET_PARTS = ("token", "secret", "password", "passwd", "signature", "credential", "apikey", "api_key")

_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#@\s\"'<>]+)@")
_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[A-Za-z0-9_.\-]+)=(?P<value>[^&#\s\"'<>]*)")

_ENV_VALUES: dict[str, str] = {}


def register_env(values: Mapping[str, str]) -> None:
    """Remembers values interpolated from the environment (``name -> value``) for every later ``redact``."""
    for name, value in values.items():
        if value and len(value) >= MIN_SECRET_CHARS:
            _ENV_VALUES[value] = name


def forget_env() -> None:
    """Forgets the registered values (a process that goes on to another corpus file, and tests)."""
    _ENV_VALUES.clear()


def env_values() -> dict[str, str]:
    """The registered values, ``value -> name`` (handed to worker processes)."""
    return dict(_ENV_VALUES)


def _secret_param(name: str) -> bool:
    key = name.lower().replace("-", "_")
    if key in NOT_SECRET_PARAMS:
        return False
    return key in SECRET_PARAMS or any(part in key for part in _SECRET_PARTS)


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with URL credentials, credential-like query values and ``${ENV}`` values hidden.

    ``env`` maps environment names to values (as ``load_config`` interpolated them); the values
    registered with ``register_env`` are always included.
    """
    if not text:
        return text
    values = dict(_ENV_VALUES)
    for name, value in (env or {}).items():
        if value and len(value) >= MIN_SECRET_CHARS:
            values[value] = name
    # longest first, so that a value containing another is replaced whole
    for value, name in sorted(values.items(), key=lambda kv: -len(kv[0])):
        for form in {value, quote(value, safe=""), quote(value, safe="/:")}:
            if form in text:
                text = text.replace(form, f"${{{name}}}")
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _PARAM.sub(lambda m: f"{m['lead']}{m['name']}={MASK}" if _secret_param(m["name"]) and m["value"]
                      else m.group(0), text)


def redact_all(data: Any, env: Mapping[str, str] | None = None) -> Any:
    """Every string in a JSON-like structure (dicts, lists, tuples), redacted; keys too."""
    if isinstance(data, str):
        return redact(data, env)
    if isinstance(data, dict):
        return {redact_all(k, env): redact_all(v, env) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_all(v, env) for v in data]
    return data


def redact_lines(lines: Iterable[str], env: Mapping[str, str] | None = None) -> list[str]:
    return [redact(line, env) for line in lines]


def shown_path(path: str, corpus_file: str | None) -> str:
    """A path as a published document shows it: a local absolute path relative to the corpus file's folder
    (no home folders or user names in a dataset card), anything else redacted."""
    import os

    if path and corpus_file and "://" not in path and os.path.isabs(path):
        base = os.path.dirname(os.path.abspath(corpus_file))
        try:
            return os.path.relpath(path, base).replace(os.sep, "/")
        except ValueError:  # another drive (Windows)
            return os.path.basename(path)
    return redact(path)
