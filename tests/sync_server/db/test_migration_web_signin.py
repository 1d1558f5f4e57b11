"""0003_web_signin on a database already in use: every user gets a unique login, nothing is lost."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from sync_server.db.engine import alembic_config, make_engine


def _run(url: str, action: str, revision: str) -> None:
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)
    engine.dispose()


def test_existing_users_get_logins_and_keep_their_devices(db_url: str) -> None:
    _run(db_url, "upgrade", "0003_three_digit_masks")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units (code, name, level, retired) VALUES "
                          "('52', 'Gia Lai', 'province', false)"))  # fmt: skip
        for user_id, name in ((1, "Nguyễn Văn Đức"), (2, "Nguyễn Văn Đức"), (3, "Đặng  Thị Ánh"),
                              (4, "!!!")):  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO users (id, name, role, unit_code) "
                    "VALUES (:i, :n, 'province', '52')"
                ),
                {"i": user_id, "n": name},
            )
        conn.execute(
            text(
                "INSERT INTO devices (id, user_id, token_hash, name, created_at, last_mutation_id)"
                " VALUES ('d1', 1, 'h', 'x', '2026-01-01', 0)"
            )
        )
    engine.dispose()
    _run(db_url, "upgrade", "head")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, login, must_change_password FROM users ORDER BY id"))
        assert [tuple(r) for r in rows] == [
            (1, "nguyen.van.duc", False),
            (2, "nguyen.van.duc2", False),
            (3, "dang.thi.anh", False),
            (4, "user", False),
        ]
        assert conn.execute(text("SELECT user_id FROM devices")).scalar_one() == 1
    engine.dispose()
    _run(db_url, "downgrade", "0003_three_digit_masks")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
        assert "login" not in columns and "must_change_password" not in columns
        assert "web_sessions" not in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 4
    engine.dispose()
    _run(db_url, "upgrade", "head")
