"""PostgreSQL: check the events of pairings and outbox rows once per statement.

A foreign key checks every inserted row on its own: PostgreSQL runs a locking look-up
of the event per row (about 3 us each), so the two foreign keys cost 0.6 s of the
1.3 s a 100k draw took to store (its pairings and their outbox rows, all of one
event). Statement-level triggers do the same work once per statement over the rows
it inserted, with the same guarantees:

- an insert refers only to existing events: they are locked FOR KEY SHARE, as the
  foreign key's check does, so an event cannot be deleted until the inserting
  transaction ends, and an event already deleted refuses the insert with the foreign
  key's error (SQLSTATE 23503, which Tortoise raises as IntegrityError);
- changing a row's event_id checks the new event (row trigger, fired only then);
- deleting events deletes their pairings and outbox rows (was ON DELETE CASCADE),
  truncating the events empties them too (was TRUNCATE … CASCADE), and changing an
  event's id is refused while rows refer to it (was NO ACTION).

SQLite checks a foreign key in-process for a few milliseconds per 100k rows: its
schema keeps them, and its text here is empty. The models are unchanged (their state
below is migration 3's), so `aerich migrate` sees nothing to do.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = ""

POSTGRES = """
ALTER TABLE "ratmas_pairing" DROP CONSTRAINT IF EXISTS "ratmas_pairing_event_id_fkey";
ALTER TABLE "ratmas_outbox" DROP CONSTRAINT IF EXISTS "ratmas_outbox_event_id_fkey";

CREATE FUNCTION "ratmas_events_exist"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    locked bigint;
BEGIN
    SELECT count(DISTINCT "event_id") INTO wanted FROM "inserted";
    PERFORM 1 FROM "ratmas_event" AS "e"
        WHERE "e"."id" IN (SELECT "event_id" FROM "inserted") FOR KEY SHARE OF "e";
    GET DIAGNOSTICS locked = ROW_COUNT;
    IF locked < wanted THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('insert or update on table "%s" violates foreign key '
                             'constraint "%s_event_id_fkey"', TG_TABLE_NAME, TG_TABLE_NAME),
            DETAIL = 'Key (event_id) is not present in table "ratmas_event".';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION "ratmas_event_exists"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM "ratmas_event" AS "e" WHERE "e"."id" = NEW."event_id" FOR KEY SHARE OF "e";
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('insert or update on table "%s" violates foreign key '
                             'constraint "%s_event_id_fkey"', TG_TABLE_NAME, TG_TABLE_NAME),
            DETAIL = format('Key (event_id)=(%s) is not present in table "ratmas_event".',
                            NEW."event_id");
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION "ratmas_event_rows_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM "ratmas_pairing" WHERE "event_id" IN (SELECT "id" FROM "deleted");
    DELETE FROM "ratmas_outbox" WHERE "event_id" IN (SELECT "id" FROM "deleted");
    RETURN NULL;
END $$;

CREATE FUNCTION "ratmas_event_truncated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM "ratmas_pairing";
    DELETE FROM "ratmas_outbox";
    RETURN NULL;
END $$;

CREATE FUNCTION "ratmas_event_id_kept"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM "ratmas_pairing" WHERE "event_id" = OLD."id")
        OR EXISTS (SELECT 1 FROM "ratmas_outbox" WHERE "event_id" = OLD."id") THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'update on table "ratmas_event" violates a foreign key of '
                      '"ratmas_pairing" or "ratmas_outbox"',
            DETAIL = format('Key (id)=(%s) is still referenced.', OLD."id");
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER "ratmas_pairing_events_exist" AFTER INSERT ON "ratmas_pairing"
    REFERENCING NEW TABLE AS "inserted"
    FOR EACH STATEMENT EXECUTE FUNCTION "ratmas_events_exist"();
CREATE TRIGGER "ratmas_outbox_events_exist" AFTER INSERT ON "ratmas_outbox"
    REFERENCING NEW TABLE AS "inserted"
    FOR EACH STATEMENT EXECUTE FUNCTION "ratmas_events_exist"();
CREATE TRIGGER "ratmas_pairing_event_moved" AFTER UPDATE OF "event_id" ON "ratmas_pairing"
    FOR EACH ROW WHEN (OLD."event_id" IS DISTINCT FROM NEW."event_id")
    EXECUTE FUNCTION "ratmas_event_exists"();
CREATE TRIGGER "ratmas_outbox_event_moved" AFTER UPDATE OF "event_id" ON "ratmas_outbox"
    FOR EACH ROW WHEN (OLD."event_id" IS DISTINCT FROM NEW."event_id")
    EXECUTE FUNCTION "ratmas_event_exists"();
CREATE TRIGGER "ratmas_event_rows_deleted" AFTER DELETE ON "ratmas_event"
    REFERENCING OLD TABLE AS "deleted"
    FOR EACH STATEMENT EXECUTE FUNCTION "ratmas_event_rows_deleted"();
CREATE TRIGGER "ratmas_event_truncated" AFTER TRUNCATE ON "ratmas_event"
    FOR EACH STATEMENT EXECUTE FUNCTION "ratmas_event_truncated"();
CREATE TRIGGER "ratmas_event_id_kept" BEFORE UPDATE OF "id" ON "ratmas_event"
    FOR EACH ROW WHEN (OLD."id" IS DISTINCT FROM NEW."id")
    EXECUTE FUNCTION "ratmas_event_id_kept"();"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS "ratmas_event_id_kept" ON "ratmas_event";
DROP TRIGGER IF EXISTS "ratmas_event_truncated" ON "ratmas_event";
DROP TRIGGER IF EXISTS "ratmas_event_rows_deleted" ON "ratmas_event";
DROP TRIGGER IF EXISTS "ratmas_outbox_event_moved" ON "ratmas_outbox";
DROP TRIGGER IF EXISTS "ratmas_pairing_event_moved" ON "ratmas_pairing";
DROP TRIGGER IF EXISTS "ratmas_outbox_events_exist" ON "ratmas_outbox";
DROP TRIGGER IF EXISTS "ratmas_pairing_events_exist" ON "ratmas_pairing";
DROP FUNCTION IF EXISTS "ratmas_event_id_kept"();
DROP FUNCTION IF EXISTS "ratmas_event_truncated"();
DROP FUNCTION IF EXISTS "ratmas_event_rows_deleted"();
DROP FUNCTION IF EXISTS "ratmas_event_exists"();
DROP FUNCTION IF EXISTS "ratmas_events_exist"();
ALTER TABLE "ratmas_pairing" ADD CONSTRAINT "ratmas_pairing_event_id_fkey"
    FOREIGN KEY ("event_id") REFERENCES "ratmas_event" ("id") ON DELETE CASCADE;
ALTER TABLE "ratmas_outbox" ADD CONSTRAINT "ratmas_outbox_event_id_fkey"
    FOREIGN KEY ("event_id") REFERENCES "ratmas_event" ("id") ON DELETE CASCADE;"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_DOWN if db.capabilities.dialect == "postgres" else SQLITE


MODELS_STATE = (
    "eJztXV1zmzgU/SsMT+lMtpM4zsfuPjmp22bbxJ3Eu+2026EyKLa2WFAQdbzd/PeVBBgEwj"
    "bEOJjqLZZ0BZwjpKN7r8gPfepY0Paf9wILkRtnpv+m/dAxmEL6R65uX9OB6yY1rICAkc0b"
    "e4BMgW8A1pi3HPnEAyahdXfA9iEtsqBvesglyMG0FAe2zQodkzZEeJwUBRh9C6BBnDEkE+"
    "jRik+faTHCFryHfvzT/WrcIWhbwi0ji12blxtk7vKyczS+xOQlb8suODJMxw6mOGnvzsnE"
    "wQsDhPkTjCGG9KkguwLxAvYE7AajB44fKrzZpEl4lykbC96BwCapJx4ZSZluGNeDoXHbHx"
    "qGXgIj08EMX3qrPgdgzG7hl187naOj087B0cnZcff09Pjs4Iy25febrzp9CG8mQSvsimN2"
    "+eryeshuyKEkhgyzggduAwgIrTgZCfqUbsczynKQtlrNRIx7iooI6AUTcZOEimQEtowLAX"
    "t2nznkLybAK8Q9ssigTh9mDdRzL8BTwz4F94YN8ZhM6M/uwRJE/+rdXLzu3ex1D56JsF5H"
    "NR1eJQJsQQKQnQd4CO8LBnZi0QqAlwA67H/gA3Tq+9/sNJB7V70PHOPpPKp5O7h+FTdPAX"
    "/xdnCeHdEkD/YLChdBU1gwookEbCsyeR7/0TLoL6/6t8Pe1TsB/xe9YZ/VdATs49K9k8y4"
    "X3Sivb8cvtbYT+3j4LrP4XR8Mvb4FZN2w486uycQEMfAzswAVhqTuDguEmiF3yEmpReJtF"
    "WlRaJplG5vlWBi6e6rdMHmqOaJeOl4EI3xGzjnZFzSGwfYhBLsI4nYZ/1EEnHHeHiIR1pc"
    "mggKD8wWElMYgBQA+tiQhAts7/ai96Kvc5xHwPw6A55lCICzGqfjZEoWbfNV0840WwIwGH"
    "N02GOwm85CL1HuaVpWKvfFWFDK/edT7uMA0Z7KcpC2qmtSbisXCfZ0ciWBX0a5JxZ1Ccut"
    "oi4I9846wr1TLNw7OeFuo+/QqDbAc6Yb2Z/+NPONMMY94hvlJb1gqJR9o5W9G3jmBPiQog"
    "QsG2FYlmxpB4r0RpPuUd0I7ApvtmCoSG40yYyCfx3ZC10sUtI2rfB/iTrlpLuGTjnpFuoU"
    "VpXxd2HsBHSbPWUbTToPYgzt8s704k6Ub72qenGpBkEmcgHF1HNsWJqVgg4UI1UZCd0hXj"
    "U2JMaKiapMmB5kCBmjeTkSRDuFf1X8J8yQYunLgn/FsamMWaUFumH4bz0+FS21llHegyOz"
    "bQMHdftyTBaHsCuM95xhG9De9oiP5+zymz3RUu32Gr3bC1yrIs2ipaK50TTbcAzMuVQ9Fy"
    "9cgtFG5tCn9YbXsKfPxduLA8MpMRHnTWYUdGT28s0NtEFBvpYkT3M3X6tcEF5MHLk37cCn"
    "PUuUVhmc+nE/LcbKCcjIuX8cTgPeR4tBcgFinTxyOL0Le2k1Tgvv1aOxWvTUMrxqTfFJT1"
    "iyNJ/MhLY61Sc24K03mu7zKckpC3wYp3XzC1pUGMZln1VaUHOcScVpQSkK16cgZaQyNSv7"
    "9XKvTCkOZNaKjOpkqJzl7YKvcpbbnLP8imXU3UJCmPouEDW5NusImzBVz4+sNq9u1lUtTU"
    "mnVRJGZVU0jCmVVdFcRlRWRVOYeJKEu6YhX3O+nQpzrRKYOxvmKhGCqVPnvoZ0hRpBUHQ+"
    "T6hfR99OYoO1pK3+fgKIBjQvwJiyrY0cotnAJ5oPkKWBkRMQDREf2nf7Gp03NM+ZaS70NJ"
    "9OMZa2d6DNJhBrAea/ofXsdz0zeDZ+gb+xB4Gljebal/CJNfrENpl8ea4/TpDzK0iXtML1"
    "LG3SHjXeOeyeds+OTrqL5WtRsmzVWq2zQ7hMKpMl0+kKkBdWbfKSPBLp1GaSPvoMzNl2H0"
    "OTwZDXZQ4VXQAXbCtl9hmkR7SDHYR6mc4aDN4KS9T5ZTbD6c+r8/7N3iFfm2gjRArEmG9O"
    "oBXYTNuGE11JAqT2ioASBBDHdUuP+5SVAnt9sCdUf5XZdsTtW3jGp3N8vE4C6/FxcQYrq8"
    "u4PUqpELd94YONLYxMCFfYvaXM1NZNbd3kW7ck+UmybxMyo1Zu2pJcrFqDEanMC3amAIY5"
    "FiqponERCZVU8WRu1a/0actom7h9G7XNxs/meNBELqqSKJG1VHGDqgMcO0QSMyg+FhW3b0"
    "O8YOunoRxMpKkoS06hJSbbm1J0vSWAh7KmxPS9MNgi2C7EVuTi2cVJHBACp64sz7s4OSJl"
    "sj1tclDvvL2xTSqLhxjQ8xyPQmZJhm/xx8fyli1aGOsAmNCJt8x0LDFVC2GVDzXzCcDg32"
    "qrFFCX97AB78wOMbMLzhnxe+js64heJb6ztorpRjM9rZw4mTNt0Qq27eQ86PtgXCEvT7BT"
    "+FfFv0Efv2gYH22a69RJH3XSp0E87PpJn9TheEkcTTw6vzKQFp3X33wkLR06A5gAfkJ5X0"
    "sVCx5qdXi5MbPH/pI424LKUhykrdRUXlktPXEwSJGgh9EdRK2raNaMqRKtTRatysesfMwN"
    "en1q9DGruNRGh3Tsdy+/PkjM1RrR5DVCOTaUY6NBPOy+Y0P4kp3UuZH91t0aDo6FSa1ODv"
    "UVtsbNFvtLHBkqYfjJdtAW8l0bzA3+O4d/ceZZ1q6FCcSHB+skn9FWhdlnvE7Ee4b8iY2o"
    "tAw8yb9aL8Y7a9eGLZYI9/FhZw24aatCuHmdCPc/DsKV3EOCoTpFpZR/8ylVyr8ZPOy68u"
    "9BD5kTXaL4o5qlSh8kbRrzb9Z/Fhlf27dPvkMv/pr2uoIlZdJCbVjLwXn2UpVAOGreQnRr"
    "Ud6Fp5n+uB1clz3NZCGTaP9pTJHvINpLwGVgLI9tZMMYGUHHOjgv909iNr+YPfwP+zqyzA"
    "=="
)
