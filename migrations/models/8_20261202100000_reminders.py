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
    "eJztXWtz2zYW/SscfXJntBlbfqXbT3KiJN760bHVxzSbYSESlrihSJYEY6td//cC4BMkKB"
    "HUwxCMbzaIC5HngMC5F7jg3725b0M3ejOMbQfd+Y+9fxt/9zwwh/iP2rW+0QNBUFwhBQhM"
    "XFo5BGgOIhOQyrTmJEIhsBC+9gDcCOIiG0ZW6ATI8T1c6sWuSwp9C1d0vGlRFHvOnzE0kT"
    "+FaAZDfOHzF1zseDZ8glH2b/DVfHCgazO37Njkt2m5iRYBLbtwppce+kDrkh+cmJbvxnOv"
    "qB8s0Mz3cgPHo08whR7ETwXJL6AwJk9AbjB94OyhkpstqiR3WbKx4QOIXVR64olZlPVM8+"
    "Z2bN6PxqbZE8DI8j2CL77ViAIwJbfwr+8Hg+Pj88Hh8dnb05Pz89O3h29xXXq/9Uvnz8nN"
    "FGglTVHMLj9e3ozJDfmYxIRhUvBMbQACiRUlo0Af0+2HpigHZavVTGS4l6hIgc6ZyKoUVB"
    "Q9UDEuGOzJfdaQfzcDYSPuqUUFdfwwLVCvvQAvDfscPJku9KZohv89OVyC6C/Du3efhncH"
    "J4ffsbDepFcG9BILsA0RcNw6wGP41NCxCwslAF4C6Hj0G+2g8yj60y0DeXA9/I1iPF+kV6"
    "5ubz5m1UvAv7u6vaj2aFQH+z2GCzlz2NCjEQdsOzV5k/2hGPSX16P78fD6Jwb/98PxiFwZ"
    "MNhnpQdnlX6fN2L8ejn+ZJB/jd9vb0YUTj9C05D+YlFv/HuP3BOIkW96/qMJ7DImWXFWxN"
    "AKv0EPCU8SZatOk4RslO5uliBi6eErd8KmqNaJ+OCH0Jl6P8IFJeMS3zjwLMjBPpWII9JO"
    "KhH3jIfnrKdlpYWgCMFjLjGZDogBwI8NUTLBDu/fDd+PehTnCbC+PoLQNhnAyRV/4FdK8r"
    "r1S/PBvFoCPDCl6JDHIDddhZ6j3Mu0rFTueV/Qyv31Kfdp7OCWRDkoW21rUFaViwJ7PLii"
    "OBJR7oXFtoTlTlFnhPugjXAfNAv3QU24u843aHbr4DXTjfinr2a8Yfp4iCJTXNIzhlrZS6"
    "3sgzi0ZiCCGCVgu44HRcnmNqBJl5r0EOtG4HZ4sxlDTbLUJBMK/vJ5L3SzSCnbKBH/YnXK"
    "2UkLnXJ20qhTyKVKvMvz/Bi72XPiaOJx0POgKx5Mb25Ex9a7qpcAaxDHcgKAMQ19Fwqz0t"
    "CAZqQrI0k4JOzGBsdYM9GVCSuEBCFzshAjgbXT+HfFf0YMMZYRb/GveW2qYtZpgpYM/52v"
    "T6VTrW2KR3B4tipwsO1YjkXWIdwO/b1mqALau+7x2Zgt7uyxltrbk9rbiwO7I82spaZZap"
    "pdOAXWgquemycuxmgjY+jLRsO37NNPYnsKOa9RM8CFhQozFIvv0WEbQYBrNSJMrz1XApBz"
    "/HDmoxPNXCdCpg0WHCl2Pweu2+iMNLWxu50mh9t1So4H52e5G0L+WeZ43F8Pr67qnkYK0t"
    "R5WAtkxl4DXAMYlvphl6g6v40NzMWSDS0qTcU5a/TlWIP1kr1mXDbGaxvxmneMlaIMWUJF"
    "JbSWmn348Q66oGEjNyeBYz/1dm13Hruj9Mly4wi3zJmSRHAaZe0ojNUcRhGYwjWRuk5aUR"
    "gnP0YT/2k9lG5pGwqDFACHNLJmZ/opaUVpnPLlv7WxyltSDK+t7pEuD+y8fdKVgX/1XunM"
    "gNbe6H7pz8Wm/DiCWV4c/UEi8LKyL3pftTyrcc37qksUtqegZKRTXTovjNZeGSEOeNaajO"
    "5k6KSv3YKvk75UTvr6SFIS7iFCRH03iJpanTbCJsl1iFKrzaubtqpFlnwkLWH0tlTJmNLb"
    "UuVlRG9LlYWJF8lYkA35LW9u0PuEVgnMvV2qKtOcrySnq4xhp9X/5lYUGuQ2sQuALuGuBT"
    "W/BQ2zyALsNr23TxDrrgkETcd2MNf7Lby2WWbQymHr/ToDyABGGHseBtuY+MhwQYSMCDi2"
    "ASZ+jAwHRdB96Bt4NjRC/9EIYGhEeOK0jYND43EGPSP26P/Q/u6HXoW7jf/Af70QAtuYLI"
    "w/kic28BO7aPbHm15/LTeT/gJXqDW+XGUTdXzMwdHJ+cnb47OT/LXKS5a9W6u9xwQuCzt/"
    "HJGwAuTcSqXY35pIl+YJ/OiPYEGCWB60CAx1b8PHrgTwGmYJnn0F6QluYA+hXuY93N5eMc"
    "Lr4rKa+PDz9cXo7uCIKi5cyUENLkZkzaAdu8RjSwY6QQK49poAAQKQHwTC/b5kpcFuD/YM"
    "exUiznRWX8HU/8HpaZu8ttPT5sQ2cq0SzBNSIYF6i2IbmxiJEO4QkyiZ6YCEdAEJWVw3P4"
    "7gzHftazifwLDJgavX6rdx4zIzc07tNr/89plZItN7iSQMYe/jGY2vYD1Bb+R6uRMu8mFR"
    "FP+qpSZhU3uIcmTrhAjvI8pnS7X3ElU7o0z7iRgKlgkaYSmzeQ2jxYos48N+ihVVudBHcs"
    "mGvz4m5zWHIco5l8SbXzPzix9T2E/6d5v9VUpW5UgbNpV1pbBJ82e3LmtKaWARpPs4klkx"
    "Ihto8fDwReseKXUPQ1Z7Ehgz7aZ2nnrx8I1H+AiK776tWmoSOpNgOyEU/hohY6TgouFRu6"
    "Ovlpx8VV0xTI4oEO7ojJk6O5h2/UGTdB4WFPglM63upVP3OmNVzmizzljd+4zV4iwcjg/G"
    "HJSz0gUrjubZmQeGcEfRLpekLpdemn0xFfQVP62IyM/qK6jvN3/WPfaHnMDpokKqljqU37"
    "WDez7ipJA2f2Ygq69C+ugyNb+Vrwv4HuLqvCVfdShMdjek9HqKAJ7IGoHhOzfYIdgB9Ow0"
    "N2IfB3GAEJwHvGP/miORJRNlzsfe2O5ukkhowjD0QwyZzem+jbhyLBWaGLcBMMIDr8hwzD"
    "HVE2GHD0slA4BJv33caR8BvwV9IrjMAUcbkq+Nh534rtpqpqVmet75HK2aqUIz2K7Pakp2"
    "cogf08TYafwV2CUnGR8qjXV6GU0vo0nEw74vo5W+lcBZR2O/pLByIS39fMPmV9LKS2fAQ4"
    "AmmfaNUjETodb5p9KMHv0l62w5lUIclK30UN5ZLb3wYpAmoZes7jjYuotmrZhq0SqzaNUx"
    "Zh1jluj12WKMWa9LbbRLZ3F38fmBY67nCJnnCHrIbsdd4FVbzbT0TGMVDZ1vnaQfz14zLj"
    "PjOmipg5YS8bD/QUvmo6XcwGX1s6Ytgpe5yVYDmPqQPOlGi/6SIKVOBnjBtN8ocMHCpP/X"
    "8F+W+cvaKZgccHTYLvt3WfpvbWtp/kWVOHRF8K7aqRA+YeE+PRq0gBvXaoSbXqunAnDCJc"
    "045wYKAtyqP58u6c+n9f78P9/xOjlYjKFOq9aulfyUatdKDh723bUawtCxZj2OS5Ve6S9z"
    "pUBRR5ojOl+Ln7S1Ly59g2EkePZOyURB8b2Vz3WQl0oA4bS6guhuxbVpTAX9z/3tjWgqqO"
    "1YyPi/QVyePUR7CbgEjOULw9U14IqgIw1cvPR3EZ//Aae8Iuo="
)
