"""Village quotas, teams and laptops, exports and the audit page, through the real app."""

from __future__ import annotations

import csv
import io
import re

from api_factories import COMMUNE_A, HEADERS, VILLAGE_A, VILLAGE_A2, VILLAGE_B, World
from commune_world import PERIOD, campaign
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_helpers import csrf_of, sign_in, staff

from sync_server.db.models import AuditLog, Device, EnrollmentCode, Quota, User
from sync_server.services.exports import HEADERS as EXPORT_HEADERS


def _signed_in(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")


def _quotas(world: World) -> dict[tuple[str, str], int]:
    with world.factory() as session:
        rows = session.scalars(select(Quota).where(Quota.period == PERIOD)).all()
        return {(q.unit_code, q.service): q.target for q in rows}


def test_a_quota_csv_with_a_bad_row_saves_nothing_and_names_every_bad_row(
    client: TestClient, world: World
) -> None:
    campaign(client, world)
    _signed_in(client, world)
    page = client.get(f"/quotas?unit={COMMUNE_A}&period={PERIOD}")
    assert page.status_code == 200
    before = _quotas(world)
    bad = (
        "unit_code,service,period,target\n"
        f"{VILLAGE_A},vneid_level1,{PERIOD},12\n"
        f"{VILLAGE_A2},vneid_level1,{PERIOD},nhiều\n"
        f"{VILLAGE_B},vneid_level1,{PERIOD},5\n"
        f"{VILLAGE_A},no_such_service,{PERIOD},5\n"
    )
    token = csrf_of(page.text)
    response = client.post(
        "/quotas/import",
        data={"csrf_token": token, "unit": COMMUNE_A, "period": PERIOD},
        files={"file": ("quotas.csv", bad.encode(), "text/csv")},
    )
    assert response.status_code == 400
    assert re.findall(r'data-row="(\d+)" data-field="(\w+)"', response.text) == [
        ("3", "target"),
        ("4", "unit_code"),
        ("5", "service"),
    ]
    assert _quotas(world) == before

    good = f"unit_code;service;period;target\n{VILLAGE_A};vneid_level1;{PERIOD};1.200\n"
    done = client.post(
        "/quotas/import",
        data={"csrf_token": token, "unit": COMMUNE_A, "period": PERIOD},
        files={"file": ("quotas.csv", good.encode(), "text/csv")},
    )
    assert done.status_code == 303
    assert _quotas(world)[(VILLAGE_A, "vneid_level1")] == 1200
    after = client.get(done.headers["location"])
    assert 'data-metric="village_quota_sum" data-value="1203"' in after.text
    assert "Còn thiếu" not in after.text

    one = client.post(
        "/quotas/set",
        data={"csrf_token": token, "unit": COMMUNE_A, "unit_code": VILLAGE_A,
              "service": "vneid_level1", "period": PERIOD, "target": "4"},
    )  # fmt: skip
    assert one.status_code == 303
    short = client.get(one.headers["location"])
    assert "Còn thiếu 13" in short.text  # 20 for the commune, 4 + 3 for its villages
    refused = client.post(
        "/quotas/set",
        data={"csrf_token": token, "unit": COMMUNE_A, "unit_code": VILLAGE_B,
              "service": "vneid_level1", "period": PERIOD, "target": "4"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert _quotas(world)[(VILLAGE_B, "vneid_level1")] == 4


def test_a_new_volunteer_gets_a_code_that_enrolls_once_and_a_withdrawn_code_does_not(
    client: TestClient, world: World
) -> None:
    _signed_in(client, world)
    page = client.get(f"/teams?unit={COMMUNE_A}")
    assert page.status_code == 200
    token = csrf_of(page.text)
    added = client.post(
        "/teams/volunteers",
        data={"csrf_token": token, "unit": COMMUNE_A, "village": VILLAGE_A2,
              "name": "Lê Văn Cường", "phone": "+84 912 345 678", "youth_union": "yes"},
    )  # fmt: skip
    assert added.status_code == 200
    code = re.search(r"<code class=\"once\" data-code>([A-Z0-9]+)</code>", added.text)
    assert code is not None
    with world.factory() as session:
        user = session.scalars(select(User).where(User.name == "Lê Văn Cường")).one()
        assert (user.phone, user.youth_union, user.deactivated_at) == ("0912345678", True, None)
        assert session.scalar(select(func.count()).select_from(EnrollmentCode)) == 1
    assert code.group(1) not in client.get(f"/teams?unit={COMMUNE_A}").text  # shown once

    second = client.post(
        f"/teams/volunteers/{user.id}/code", data={"csrf_token": token, "unit": COMMUNE_A}
    )
    other = re.search(r"<code class=\"once\" data-code>([A-Z0-9]+)</code>", second.text)
    assert other is not None
    listing = client.get(f"/teams?unit={COMMUNE_A}")
    refs = re.findall(r'data-code-ref="([0-9a-f]+)"', listing.text)
    assert len(refs) == 2
    from sync_server.services.devices import code_hash

    withdrawn = next(r for r in refs if code_hash(other.group(1)).startswith(r))
    response = client.post(
        f"/teams/volunteers/{user.id}/codes/withdraw",
        data={"csrf_token": token, "unit": COMMUNE_A, "ref": withdrawn},
    )
    assert response.status_code == 303
    enroll = {"device_name": "Máy của Cường"}
    refused = client.post(
        "/api/v1/enroll", json={"code": other.group(1), **enroll}, headers=HEADERS
    )
    assert refused.status_code in (400, 401, 403, 404, 409, 410)
    enrolled = client.post(
        "/api/v1/enroll", json={"code": code.group(1), **enroll}, headers=HEADERS
    )
    assert enrolled.status_code == 200, enrolled.text
    device_id = enrolled.json()["device_id"]

    teams = client.get(f"/teams?unit={COMMUNE_A}")
    assert f'data-device-id="{device_id}"' in teams.text
    revoked = client.post(
        f"/teams/devices/{device_id}/revoke", data={"csrf_token": token, "unit": COMMUNE_A}
    )
    assert revoked.status_code == 303
    with world.factory() as session:
        device = session.get(Device, device_id)
        assert device is not None and device.revoked_at is not None
    off = client.post(
        f"/teams/volunteers/{user.id}/active",
        data={"csrf_token": token, "unit": COMMUNE_A, "active": "no"},
    )
    assert off.status_code == 303
    with world.factory() as session:
        assert session.get(User, user.id).deactivated_at is not None  # type: ignore[union-attr]


def test_another_communes_volunteer_and_laptop_are_out_of_reach(
    client: TestClient, world: World
) -> None:
    made = campaign(client, world)
    _signed_in(client, world)
    token = csrf_of(client.get(f"/teams?unit={COMMUNE_A}").text)
    outsider = made.volunteers[VILLAGE_B]
    for path in (
        f"/teams/devices/{outsider.device_id}/revoke",
        f"/teams/volunteers/{outsider.user_id}/code",
    ):
        response = client.post(path, data={"csrf_token": token, "unit": COMMUNE_A})
        assert response.status_code == 404
    with world.factory() as session:
        device = session.get(Device, outsider.device_id)
        assert device is not None and device.revoked_at is None
        assert session.scalar(select(func.count()).select_from(EnrollmentCode)) == 0


def test_exports_are_the_cli_files_and_every_read_is_in_the_audit(
    client: TestClient, world: World
) -> None:
    made = campaign(client, world)
    _signed_in(client, world)
    exported = client.get(f"/exports/entries.csv?unit={COMMUNE_A}")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_HEADERS
    ids = {r[0] for r in rows[1:]}
    assert ids == set(made.entry_ids[VILLAGE_A] + made.entry_ids[VILLAGE_A2])
    assert not re.search(r"\b052\d{9}\b", exported.text)
    xlsx = client.get(f"/exports/entries.xlsx?unit={COMMUNE_A}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    client.get(f"/review?unit={COMMUNE_A}")
    audit = client.get(f"/audit?unit={COMMUNE_A}")
    assert audit.status_code == 200
    actions = re.findall(r'<tr data-action="([^"]+)">', audit.text)
    assert actions.count("export") == 2
    assert actions.count("entry.read") == len(ids)
    with world.factory() as session:
        assert (
            session.scalar(
                select(func.count()).where(
                    AuditLog.action == "export", AuditLog.unit_code == COMMUNE_A
                )
            )
            == 2
        )
    assert client.get("/exports/entries.pdf?unit=" + COMMUNE_A).status_code == 404


def test_a_bundle_from_a_usb_stick_is_imported_once_and_another_communes_is_refused(
    client: TestClient, world: World
) -> None:
    from api_factories import entry

    from fieldkit.domain import wire
    from fieldkit.domain.bundle import write_bundle
    from fieldkit.store.signing import SigningKey

    _signed_in(client, world)
    ours, theirs = world.volunteer(VILLAGE_A), world.volunteer(VILLAGE_B)

    def bundle(volunteer: object, village: str) -> bytes:
        items = [entry(village), entry(village)]
        mutations = [wire.Mutation(mutation_id=i + 1, entry=e) for i, e in enumerate(items)]
        signer = SigningKey(volunteer.signing_key, True).signer()  # type: ignore[attr-defined]
        return write_bundle(volunteer.device_id, mutations, signer)  # type: ignore[attr-defined]

    token = csrf_of(client.get(f"/teams?unit={COMMUNE_A}").text)
    data = bundle(ours, VILLAGE_A)
    shown = []
    for _ in range(2):
        response = client.post(
            "/teams/bundle",
            data={"csrf_token": token, "unit": COMMUNE_A},
            files={"file": ("an.fkb", data, "application/octet-stream")},
        )
        assert response.status_code == 200
        notice = re.search(r"Đã nhập gói dữ liệu\. ([^<]*)<", response.text)
        assert notice is not None
        shown.append(notice.group(1))
    assert shown[0] == "mục mới: 2"
    assert len(world.entries()) == 2
    refused = client.post(
        "/teams/bundle",
        data={"csrf_token": token, "unit": COMMUNE_A},
        files={"file": ("b.fkb", bundle(theirs, VILLAGE_B), "application/octet-stream")},
    )
    assert refused.status_code == 400
    assert len(world.entries()) == 2
    with world.factory() as session:  # each import's audit row, written with its entries
        imports = session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "bundle.import")
        ).all()
    assert len(imports) == 2 and "accepted" in imports[0]


def test_a_laptop_that_never_synced_says_so_in_words(client: TestClient, world: World) -> None:
    """Not "đồng bộ lúc chưa bao giờ" (synced at never): "chưa đồng bộ lần nào"."""
    world.volunteer(VILLAGE_A, name="Hà Văn Mới")  # enrolled, never synced
    _signed_in(client, world)
    vi = client.get(f"/teams?unit={COMMUNE_A}")
    assert vi.status_code == 200
    assert "chưa đồng bộ lần nào" in vi.text and "đồng bộ lúc chưa bao giờ" not in vi.text
    client.get("/lang?to=en&next=/")
    en = client.get(f"/teams?unit={COMMUNE_A}")
    assert "never synced" in en.text and "last sync never" not in en.text


def test_the_audit_page_says_what_filter_entries_were_read_with(
    client: TestClient, world: World
) -> None:
    """Not the query's JSON: "Thôn: …; Kết quả: Không thành công" in the reader's language."""
    campaign(client, world)
    _signed_in(client, world)
    queue = client.get(f"/review?unit={COMMUNE_A}&village={VILLAGE_A}&outcome=failed")
    [failed] = re.findall(r'<tr data-entry-id="([^"]+)">', queue.text)
    form = {"csrf_token": csrf_of(queue.text), "unit": COMMUNE_A, "scope": "ticked"}
    decided = client.post(
        "/review/decide",
        data={**form, "entry_id": failed, "decision": "rejected", "reason": "Sai số định danh"},
    )
    assert decided.status_code == 303
    vi = client.get(f"/audit?unit={COMMUNE_A}")
    assert vi.status_code == 200
    assert f"Thôn: {VILLAGE_A}; Kết quả: Không thành công; Trạng thái duyệt: Chờ duyệt" in vi.text
    assert '{"unit"' not in vi.text and "&#34;unit&#34;" not in vi.text
    assert f"<code>{failed[:8]}</code> Bị từ chối" in vi.text  # the decision, not its code
    client.get("/lang?to=en&next=/")
    en = client.get(f"/audit?unit={COMMUNE_A}")
    assert f"Village: {VILLAGE_A}; Outcome: Failed; Review state: Waiting for review" in en.text
