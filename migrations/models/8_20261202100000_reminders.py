"""Reminders: how many days before the start and the purchase deadline an event's
wishlist and gift reminders go out, when each was claimed (the compare-and-set that
sends it at most once), and the per-guild overrides of those days.

Events stored before this migration get 0 days (no reminders). Carries the SQLite and
the PostgreSQL text (each from aerich over the same models) and picks by the
connection's dialect.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        ALTER TABLE "ratmas_event" ADD "remind_wishlist_days" SMALLINT NOT NULL DEFAULT 0;
        ALTER TABLE "ratmas_event" ADD "reminded_wishlist_at" TIMESTAMP;
        ALTER TABLE "ratmas_event" ADD "reminded_gift_at" TIMESTAMP;
        ALTER TABLE "ratmas_event" ADD "remind_gift_days" SMALLINT NOT NULL DEFAULT 0;
        ALTER TABLE "ratmas_guild_settings" ADD "gift_reminder_days" SMALLINT;
        ALTER TABLE "ratmas_guild_settings" ADD "wishlist_reminder_days" SMALLINT;"""

POSTGRES = """
        ALTER TABLE "ratmas_event" ADD "remind_wishlist_days" SMALLINT NOT NULL DEFAULT 0;
        ALTER TABLE "ratmas_event" ADD "reminded_wishlist_at" TIMESTAMPTZ;
        ALTER TABLE "ratmas_event" ADD "remind_gift_days" SMALLINT NOT NULL DEFAULT 0;
        ALTER TABLE "ratmas_event" ADD "reminded_gift_at" TIMESTAMPTZ;
        ALTER TABLE "ratmas_guild_settings" ADD "gift_reminder_days" SMALLINT;
        ALTER TABLE "ratmas_guild_settings" ADD "wishlist_reminder_days" SMALLINT;"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "ratmas_event" DROP COLUMN "remind_wishlist_days";
        ALTER TABLE "ratmas_event" DROP COLUMN "reminded_wishlist_at";
        ALTER TABLE "ratmas_event" DROP COLUMN "reminded_gift_at";
        ALTER TABLE "ratmas_event" DROP COLUMN "remind_gift_days";
        ALTER TABLE "ratmas_guild_settings" DROP COLUMN "gift_reminder_days";
        ALTER TABLE "ratmas_guild_settings" DROP COLUMN "wishlist_reminder_days";"""


MODELS_STATE = (
    "eJztXVtz2jgY/SsentIZtpOQkGR3n0hK22xz6STsttNuxxW2Atoa2bXlJGw3/30l4btlwA"
    "4QoeoNJH3COkeWvpvEj9bEtaETvOyFNiLX7n3rN+NHC4MJpB9KdW2jBTwvrWEFBAwd3tgH"
    "ZAICE7DGvOUwID6wCK27BU4AaZENA8tHHkEupqU4dBxW6Fq0IcKjtCjE6HsITeKOIBlDn1"
    "Z8/kKLEbbhAwzir9438xZBx849MrLZb/Nyk0w9XnaCRmeYvOZt2Q8OTct1wglO23tTMnZx"
    "IoAwH8EIYkhHBdkvED9kI2APGA04HtTsYdMms6fMyNjwFoQOyYx4aKZlLdO8vBqYN/2Bab"
    "ZqYGS5mOFLHzXgAIzYI/zya6ezv3/U2d0/PO4eHB11j3ePaVv+vOWqo8fZw6RozbrimJ29"
    "ObscsAdyKYkzhlnBI5cBBMykOBkp+pRu1zfrcpCVWsxEjHuGigjohIm4SUpFOgMV4yKHPX"
    "vOEvKnY+BX4h5JFFCng1kC9dIL8NywT8CD6UA8ImP69WB3DqJ/9a5P3/audw52X+RhvYxq"
    "OrwqD7ANCUBOGeABfKiY2KmEEgDPAXTQ/8gn6CQIvjtZIHcueh85xpNpVHN+dfkmbp4B/v"
    "T86qQ4o0kZ7FcULoImsGJGEwHYdiTyMv6gGPRnF/2bQe/ifQ7/V71Bn9V0ctjHpTuHhXmf"
    "dGJ8OBu8NdhX49PVZZ/D6QZk5PNfTNsNPrXYM4GQuCZ2701gZzGJi+OiHK3wDmJSe5PISj"
    "XaJGSjdHO7BFOWbr8JN2yOapmI164P0Qi/g1NOxhl9cIAtKMA+UhH7rJ9IRdwyHh7jmRaX"
    "pgqFD+4TFTM3ASkAdNiQzDbY3s1p71W/xXEeAuvbPfBtMwc4q3E7bqEkaVuumnQmxRKAwY"
    "ijw4bBHroIvUBzz9KyUHNP5oLW3H8+zX0UItpTXQ6yUutalFXlIsWeLq4kDOpo7qnEuhTL"
    "jaKeU9w7yyjunWrFvVNS3B10B81mE7wkuhL79KdZb3Jz3CeBWV+lzwlqzV5qzd4LfWsMAk"
    "hRAraDMKxLtrADTbrUpPtUbwROgzc7J6hJlppkRsG/ruiFrlZSsjJK+L/yesrhwRJ6yuFB"
    "pZ7Cqgr+LozdkJrZE2Zo0nUQY+jUd6ZXd6J96021F4/qIMhCHqCY+q4Da7NS0YFmpCkjM3"
    "eI34wNgbBmoikTlg8ZQuZwWo+EvJzGvyn+YyZIsQxEwb/q2FRBrNEGLRn+G49PRVutbdb3"
    "4IhkVeBg3b4ci8UhnAbzvSSoAtqbnvHxml3f2MtLamtPamsv9OyGNOclNc1S0+zAEbCmQu"
    "25euPKCa1kDX1eb/iabfphaI+g4DWqBjiVUGGHyuO7t7uMQkBbVSLM6x4LDsgJHZx5j4Kx"
    "gwJi2mAqUMVuJsBxKo2Rqj42l2myu16jZL9zdJiYIezLPMPj5qJ3fl62NCKQRuj2SSDn5D"
    "XAJYBhZh428aqL+1jBXizZ0qLSVpywxl+OJ7CekdeMy8Z4KRGvOmMs42WID1QUXGuR2Ot3"
    "19ABFYncggMc26lvl7Lz8hmlD5YTBrRnwZZUB6d+3I/CWLkhGboPT8PpivehMEgeQKyTJ0"
    "6n97NelMYpCWs9GaukJ8XwWmvub3bBEuX/Fha0xTnAsQBvvdI84M9psnkYwPi8F/9BprjE"
    "ZV90vrA8UabqfOEMhctTkBHSRzgaB/xKr0wtDkTSmozmZOjDTJsFXx9mUvkw0xuWan8DCW"
    "Had4VSU2qzjGIzy+EPIqnVazfLai2ynLPRKoxOt5SMKZ1uKS8jOt1SFiaeJRNfNuTXHLTX"
    "+S+LFMytDcFkaU4ipFH0zG8U1a7uRaFFbhXRbR6afBLU4h40zHUCi+u03t5CqncNIai6ji"
    "JX317CahvHAksZbK0PY0AMYPghxhRsY+gSwwEBMQKAbAMM3ZAYiATQuW0bdDc0fPfe8KBv"
    "BHTjtI2dXeN+DLERYv4d2i9+bxW4W/kP/I19CGxjODW+zkZs0BE7ZPz1Zav9JDOT/4JQUa"
    "t8ubIi6tiYnb2Do4Pj/cOD5LVKSua9W4utxxlcFjX+BErCApATKZV8f09EOrNP0KHfgylz"
    "YmFoMRjK1oZLTQmAK3YJkXwB6SHtYAuhnmc9XF2d5xSvk7NiQv+fFyf96509rnHRRohUmB"
    "iBNYZ26DCLbbbQ1SRAKK8JqEEAcT2v9rzPSGmwlwd7TK2KOsZ03F7BI+2dbneZ81rdbvWB"
    "LVZXcObV0kI89YJiK9sYmSLcwCeREdMOCekcEpKYbmlKn8Buy+X7LTTa0gzDtYbYMvlE7A"
    "gtnGUO6VQh6eJsOlXo2YIF3+ho6+g2cXsVdZuVH0X3oYU81CT9pyipkAdzwxMcu0QQCau+"
    "BSBur0IUbOOH/11MhAlWcy5dSEU2t6S0WooAPlNraizficAGwfYgtiMXzzYu4oAQOPFEpx"
    "eqU34yIsocX12ZkcriISb0fdenkNmC6Vt9125ZUqGNcR0AE7rw1lmOBaJ6I2zyvyR8ATD5"
    "1cSN0kTEPegDu7I5Z/J//8MuA/cb8V2U1UxLzfSkcTpwSVShHWzTKacwCMCoQbZpTk7j3x"
    "R/ie56k4wPldY6fX5Nn1+TiIdtP7+WufJBEEfLXwixMJAW3UKx+khaNnQGMAH83H3byBTn"
    "PNT6SL40q0d7TpwtobIWB1kpvZQ31paeORikSWjNojuISjfRWQuiWmmVWWnVPmbtY5bo9V"
    "mjj1nHpVY6pWO/e/39QSCu9wiZ9wh+VjBgalV9souymmnpmaZaNER3jVQ/kbxmXGbGtdNS"
    "Oy0l4mH7nZa5u1eFjsvi7axLOC8TkbU6MPW9odKtFu05Tkp9GODZvGM2CjwHTE3+vYR/dV"
    "ZpUU7BwwFr+V+a5GKY0Hfq4F2UU8F9koe7u9dZAm7aqhJuXlc+ClDrLxgTAQUBXmo+d+fM"
    "5255Pv/jItzIwMoJ6iOo2rSSn1JtWsnBw7abVj3oI2vcEphUUU17nikF0jbPcllxrZsbFL"
    "OT1nZx1B304z/YWFZTyYgoqHyv5dYR9lLVQDhqriC6azFtKo+C/nFzdVn3KKiNLGL8ZzCT"
    "ZwvRngMuA2N+YLgYAy4odKyDk+e+3vHxf1nM4/M="
)

