"""Anonymous messages between santas and giftees: the record of each one (who wrote
to whom, which way, when; never the text, which lives only in its outbox row until it
is delivered), counted by the per-day limit and resolved by the Reply button.

Carries the SQLite and the PostgreSQL text (each from aerich over the same models) and
picks by the connection's dialect. The foreign key to ratmas_event is a plain one on
both: the table takes one row per message, not rows by the thousand like a draw.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        CREATE TABLE IF NOT EXISTS "ratmas_message" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "sender_id" BIGINT NOT NULL,
    "addressee_id" BIGINT NOT NULL,
    "direction" VARCHAR(10) NOT NULL,
    "outbox_id" BIGINT NOT NULL UNIQUE,
    "sent_at" TIMESTAMP NOT NULL,
    "event_id" BIGINT NOT NULL REFERENCES "ratmas_event" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_ratmas_mess_event_i_94911b" ON "ratmas_message" ("event_id", "sender_id", "sent_at");"""

POSTGRES = """
        CREATE TABLE IF NOT EXISTS "ratmas_message" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "sender_id" BIGINT NOT NULL,
    "addressee_id" BIGINT NOT NULL,
    "direction" VARCHAR(10) NOT NULL,
    "outbox_id" BIGINT NOT NULL UNIQUE,
    "sent_at" TIMESTAMPTZ NOT NULL,
    "event_id" BIGINT NOT NULL REFERENCES "ratmas_event" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_ratmas_mess_event_i_94911b" ON "ratmas_message" ("event_id", "sender_id", "sent_at");"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "ratmas_message";"""


MODELS_STATE = (
    "eJztXV1z0zgU/SuePJWZLtOGpu3uPqUQoAttmDa7MLCMUWw10eLIxpbbZln++0r+iC1bTi"
    "w3SR2ht1bSVexzFOncqyvle2fm2tAJnvZDG5Er967zm/G9g8EM0j9KdftGB3heVsMKCBg7"
    "UWMfkBkITMAaRy3HAfGBRWjdDXACSItsGFg+8ghyMS3FoeOwQteiDRGeZEUhRt9CaBJ3As"
    "kU+rTi02dajLAN72GQ/ut9NW8QdGzukZHNPjsqN8nci8rO0OQck5dRW/aBY9NynXCGs/be"
    "nExdvDBAOHqDCcSQvhVkn0D8kL0Be8DkhdOXih82axI/Zc7GhjcgdEjujcdmVtYxzcvhyL"
    "wejEyzI4GR5WKGL33UIAJgwh7hl1+73WfPTroHz45Pe0cnJ73Tg1PaNnrectXJj/hhMrTi"
    "riLMzl+dX47YA7mUxJhhVvAjsgEExFYRGRn6lG7XN2U5yFutZiLFPUdFAvSCibRJRkU2Ah"
    "XjgsOePWcJ+edT4FfinlgUUKcvUwP10hfgsWGfgXvTgXhCpvTfo4MliP7Vv3r+un+1d3Tw"
    "hIf1MqnpRlU8wDYkADllgEfwvmJgZxZKALwE0NHgQzRAZ0HwzckDuXfR/xBhPJsnNW+Hl6"
    "/S5jngn78dnhVHNCmD/YLCRdAMVoxoIgDbTkyepn8oBv35xeB61L94x+H/oj8asJouh31a"
    "undcGPeLToz356PXBvvX+Di8HERwugGZ+NEnZu1GHzvsmUBIXBO7dyaw85ikxWkRRyu8hZ"
    "hILxJ5q0aLRNso3d4qwcTSzVfhgh2hWibipetDNMFv4Dwi45w+OMAWFGCfSMQB6yeRiDvG"
    "w490pKWlmaDwwd1CYnIDkAJAXxuSeIHtXz/vvxh0IpzHwPp6B3zb5ABnNW7XLZQs2parZt"
    "1ZsQRgMInQYa/BHroIvUC552lZqdwXY0Er959PuU9CRHuS5SBvtalJWVUuMuzp5ErCQEa5"
    "ZxabEpZbRZ0T7t06wr1bLdy7JeHuoFtoNhvgJdO1+Kc/zXzDjXGfBKa8pOcMtbJvtbL3Qt"
    "+aggBSlIDtIAxlyRZ2oElvNek+1Y3AafDN5gw1ya0mmVHwryv6QleLlLyNEvEvXqccH9XQ"
    "KcdHlTqFVRXiXRi7IXWzZ8zRpPMgxtCRD6ZXd6Jj603Vi0c1CLKQByimvutAaVYqOtCMNG"
    "UkDof4zdgQGGsmmjJh+ZAhZI7nciTwdhr/pvhPmSHFMhBt/lXvTRXMGi3QLcN/6/tTyVJr"
    "m/IRHJGtChxsOpZjsX0Ip8F4LxmqgPa2R3w6Z8s7e7yl9vZa7e2Fnt2QZt5S09xqmh04Ad"
    "ZcqJ6rFy7OaC1z6ONGwzfs049DewIFX6NqgDMLFVYoHt/DgzqCgLaqRDiqE6Q0VO+95/Ra"
    "mppacFISs5dvrqADKlLiBKmwuzlzlfIc+Nyce8sJA9qzQMzK4DRI+1EYqxkMAjCBD0TqIu"
    "5FYZzckIzd+4ehNIz6UBgkDyDWyQMH07u4F6VxWgRSH4zVoifF8Npotll+YhdlnBUm/tVZ"
    "Z6lB1HqtmWefsvTGMIDpCYPoA23qo6Rln3WGWnvimtUZajkK61OQM9JJw41DzKWvjBQHIm"
    "tNRnMydPr8dsHX6fMqp8+/Ysmd15AQpr4rRE2pTR1hE2eNBonV+tVNXdXSlsxuLWF0gk/L"
    "mNIJPu1lRCf4tIWJR8n9bBvyG94m0juuqwTmzu64SmxVbVLnvoZ0hRpDUHVUlKuvo2+nqU"
    "Etadt5PwXEAIYfYkzZNsYuMRwQECMAyDbA2A2JgUgAnZt9g84bhu/eGR70jYBOMbaxd2Dc"
    "TSE2Qhz9D+0nv3cKg2ftH/A39iGwjfHc+BK/sUHf2CHTL087DxPk0ScIl7TK9Sxvoo4a7x"
    "4enRydPjs+Wixfi5Jlq9ZqnR3DZVGZLJhOV4C8sFIpSvJApHPOJH31OzBn7j6GFoOhrMtc"
    "KroArnArRfYFpMe0gx2EepnOGg7fckvU2Xkx2e7Pi7PB1d5htDbRRohUiLHAmkI7dJi2jS"
    "c6SQKE9poACQKI63nS4z5npcGuD/aU6i8ZtyNtr+Bxs26vVyeXuterTqZmdYWwh5QK8dTb"
    "PljbwsiEcAPvLWemXTftuoldt1yKmMBx4xPIVrptSdbaxvcjcskXAaTF6c5vwMLWdMR/1m"
    "kWrdyj4MiqTwJnptIKse1bPG2bTloBlI95Fy01CY1JsJEPpW9T5YwUFKCH9VL3l2TuF9Vn"
    "nBgsPdA5M3WiYdu+kClZhyUFa85MC9bWCVadJ6bzxFrKw67niWUnUAQ+GHc8ZaULlh2I2Z"
    "oHRuhA0S5XS10undn+aCroK31bGZGftldQ36//rg7qDyEPNVEhRUudvNV0gGOXCBK3qq9J"
    "SdurkLS19dtRXEyEOm/JrTSZyfamlE5HEcBjWSMxfS8Mtgi2B7Gd7LPv4iQOCIEzT3TYtj"
    "oSmTPZnjY52Oy8vbadQpaUZkLfd30KmS0YvtWXkZctFVoYNwEwoROvzHQsMNULYZMfboom"
    "ADO6u71RVrO4hzVEHHeImV0LONqQ/VqC34jvoq1mutVMzxqfXiuZKrSCbfuEVJzJIX84ir"
    "PT+DfFv0WXYbaMD5XmOr2NprfRWsTDrm+j5W4oE+yj8feXrdxISy5NW/9OWn7rDGAComui"
    "9o1cMReh1jdItWb22F+yz7agUoqDvJWeyhurpUfeDNIkdOLdHUStm2jWgqkWrW0WrTrGrG"
    "PMLfr6bDDGrPel1jqk07i7/PogMNdrRJvXiAm6IWbDLPCirWa69UxTFQ3RbSPpJ7LXjLeZ"
    "cR201EHLFvGw+0FL7qcChIHL4o8J1AheLkw2GsDU19y3brbYXxKk1IcBHvHYb+A5YG5G/5"
    "fwX3byl7dT8HDA2n64K4/3HQqmDqJuY+g7MngX7VQIn/Bw9w67NeCmrSrhjurKRwGkfqN2"
    "YaAgwLXGc2/JeO6Vx/M/LsKNHCzOUB+r1q5V+ynVrlU7eNh116oPfWRNOwKXKqnZX+ZKga"
    "zNo/y2htT1eYr5SRu7vfcW+unvwdVVKjkTBcX3Rq5+ZF8qCYST5gqiuxHXpvIo6B/Xw0vZ"
    "o6A2sojxn8Fcnh1Eewm4DIzlG8PFPeCCoGMdnMn9HPT6F7Mf/wOXRnNU"
)

