"""What a push answers: per-item statuses, and the response written once the batch commits."""

from __future__ import annotations

from dataclasses import dataclass
from json.encoder import encode_basestring as _json_str
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from fieldkit.domain.problems import Problem, error
from sync_server.db.models import Entry as EntryRow
from sync_server.services.admission import Checked
from sync_server.services.dedupe import CHUNK, CountingEntry, GroupKey, counting_entries
from sync_server.services.tally import trusted


def new_results(
    rows: list[dict[str, Any]], ids: dict[str, int], holders: dict[GroupKey, CountingEntry]
) -> dict[int, wire.PushItemResult]:
    """Statuses of the entries inserted by a batch, without reading them back."""
    out: dict[int, wire.PushItemResult] = {}
    accepted, duplicate = wire.ItemStatus.ACCEPTED, wire.ItemStatus.DUPLICATE
    for row in rows:
        mutation_id = ids[row["id"]]
        values: dict[str, Any] = {
            "mutation_id": mutation_id,
            "entry_id": row["id"],
            "status": accepted,
            "code": None,
            "message": None,
            "duplicate_of": None,
            "rev": row["rev"],
        }
        if not row["counted"] and row["outcome"] == "success":
            holder = holders.get((row["citizen_key"], row["service"], row["period"]))
            if holder is not None:
                values["status"] = duplicate
                values["code"] = "entry.duplicate"
                values["message"] = holder.message_for(row["commune_code"])
                values["duplicate_of"] = holder.duplicate_of(row["commune_code"])
        out[mutation_id] = trusted(wire.PushItemResult, values)
    return out


@dataclass
class Ingested:
    """A batch applied in the caller's transaction; `response()` words it once committed.

    The statuses of new entries follow from what the batch inserted, so they are built
    after the commit, outside the writers' lock.
    """

    last_mutation_id: int
    server_epoch: str
    order: list[int]
    decided: dict[int, wire.PushItemResult]
    rows: list[dict[str, Any]]
    mutation_ids: dict[str, int]
    holders: dict[GroupKey, CountingEntry]

    def response(self) -> wire.PushResponse:
        """The push response, items in mutation-id order."""
        results = self.decided | new_results(self.rows, self.mutation_ids, self.holders)
        return wire.PushResponse(
            last_mutation_id=self.last_mutation_id,
            results=[results[m] for m in self.order],
            server_epoch=self.server_epoch,
        )

    def response_json(self) -> bytes:
        """response().model_dump_json(), byte for byte, without a model per accepted entry.

        A plain accepted entry is one line of a fixed shape; anything else (duplicates,
        rejections, resends, conflicts) is serialised by its model.
        """
        plain: dict[int, dict[str, Any]] = {}
        others: list[dict[str, Any]] = []
        for row in self.rows:
            if not row["counted"] and row["outcome"] == "success":
                others.append(row)
            else:
                plain[self.mutation_ids[row["id"]]] = row
        results = self.decided | new_results(others, self.mutation_ids, self.holders)
        parts: list[bytes] = []
        for m in self.order:
            accepted = plain.get(m)
            if accepted is None:
                parts.append(results[m].model_dump_json().encode())
            else:
                parts.append(_ACCEPTED % (m, _json_str(accepted["id"]).encode(), accepted["rev"]))
        return b'{"last_mutation_id":%d,"results":[%s],"server_epoch":%s}' % (
            self.last_mutation_id,
            b",".join(parts),
            _json_str(self.server_epoch).encode(),
        )


_ACCEPTED = (
    b'{"mutation_id":%d,"entry_id":%s,"status":"accepted",'
    b'"code":null,"message":null,"duplicate_of":null,"rev":%d}'
)


def rejected(mutation: wire.Mutation, problem: Problem | None) -> wire.PushItemResult:
    """A per-item rejection with the problem's code and Vietnamese message."""
    problem = problem or error("entry.invalid", "entry", detail="?")
    raw_id = mutation.entry.get("id")
    return wire.PushItemResult(
        mutation_id=mutation.mutation_id,
        entry_id=raw_id[:64] if isinstance(raw_id, str) else None,
        status=wire.ItemStatus.REJECTED,
        code=problem.code,
        message=problem.message("vi"),
    )


def stored_results(
    session: Session,
    checked: list[Checked],
    decided: dict[int, wire.PushItemResult],
    new: set[int],
) -> dict[int, wire.PushItemResult]:
    """Statuses of all but the new entries (`decided` ones as given), read from this transaction."""
    ids = [
        c.entry_id
        for c in checked
        if c.entry_id
        and c.mutation.mutation_id not in decided
        and c.mutation.mutation_id not in new
    ]
    stored: dict[str, Any] = {}
    columns = (EntryRow.id, EntryRow.counted, EntryRow.outcome, EntryRow.citizen_key)
    for start in range(0, len(ids), CHUNK):
        query = select(
            *columns, EntryRow.service, EntryRow.period, EntryRow.rev, EntryRow.commune_code
        )
        for r in session.execute(query.where(EntryRow.id.in_(ids[start : start + CHUNK]))):
            stored[r[0]] = r
    dup_keys = {(r[3], r[4], r[5]) for r in stored.values() if not r[1] and r[2] == "success"}
    counting = counting_entries(session, dup_keys) if dup_keys else {}
    out: dict[int, wire.PushItemResult] = {}
    for c in checked:
        m = c.mutation
        if m.mutation_id in decided:
            out[m.mutation_id] = decided[m.mutation_id]
            continue
        if m.mutation_id in new:
            continue
        if not c.entry_id:
            out[m.mutation_id] = rejected(m, c.problem)
            continue
        found = stored.get(c.entry_id)
        holder = None
        if found is not None and not found[1] and found[2] == "success":
            holder = counting.get((found[3], found[4], found[5]))
        item = wire.PushItemResult(
            mutation_id=m.mutation_id,
            entry_id=c.entry_id,
            status=wire.ItemStatus.ACCEPTED,
            rev=found[6] if found is not None else None,
        )
        if holder is not None and found is not None and holder.entry_id != found[0]:
            item.status = wire.ItemStatus.DUPLICATE
            item.code = "entry.duplicate"
            item.message = holder.message_for(found[7])
            item.duplicate_of = holder.duplicate_of(found[7])
        out[m.mutation_id] = item
    return out
