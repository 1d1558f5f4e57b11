"""The API's answers to a push or bundle the pipeline refuses as a whole (services/pushing).

Per-item problems are answered inside a 200 (sync rule 4); these refuse the batch: a bundle
that is not one (400 `bundle_<code>`), one from another commune's laptop (403), and a batch
that skips mutation ids (409 `mutation_gap`, with the id the server expects next).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sync_server.api.errors import ApiError
from sync_server.services.bundles import BundleError, BundleRefused
from sync_server.services.pushing import MutationGap

PUSH_GAP = "Mutations are missing before this batch: expected mutation {expected} next."
BUNDLE_GAP = "The server is missing this laptop's earlier data: expected mutation {expected}."


@contextmanager
def push_refusals(gap: str) -> Iterator[None]:
    """Turn the pipeline's refusals into API errors; `gap` words a mutation gap."""
    try:
        yield
    except BundleError as exc:
        raise ApiError(400, f"bundle_{exc.code}", exc.message) from exc
    except BundleRefused as exc:
        raise ApiError(403, exc.code, exc.message) from exc
    except MutationGap as exc:
        message = gap.format(expected=exc.expected)
        raise ApiError(409, "mutation_gap", message, expected=exc.expected) from exc
