"""What an e-mail address is, for the contract's `format: email` (`PUT /group/invite`) and for a world's users:
one rule, used by the request validator (`groupkit.validation`) and the world loader alike."""

from __future__ import annotations

import re

# One `@`; before it a local part, after it a domain of dot-separated labels, none of them empty; no
# whitespace anywhere. Deliberately permissive beyond that (quoted local parts and IDNs pass), as the
# platform's identity provider is; at most 254 characters (RFC 5321's path limit less the brackets).
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)*")
EMAIL_MAX = 254


def is_email(value: str) -> bool:
    """Whether `value` is an e-mail address as the contract's `format: email` means it."""
    return len(value) <= EMAIL_MAX and _EMAIL.fullmatch(value) is not None
