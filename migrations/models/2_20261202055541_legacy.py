"""Remember the original TypeScript bot's id of an event brought over from it, so that
`ratmas import-legacy` run twice stores nothing the second time.

Like every migration here it carries the SQLite and the PostgreSQL text (each generated
by aerich from the same models) and picks by the connection's dialect. It is number 2:
number 1 is taken by a migration developed alongside.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        ALTER TABLE "ratmas_event" ADD "legacy_id" VARCHAR(64);
        CREATE UNIQUE INDEX "uid_ratmas_even_legacy__bd8798" ON "ratmas_event" ("legacy_id");"""

POSTGRES = """
        ALTER TABLE "ratmas_event" ADD "legacy_id" VARCHAR(64) UNIQUE;"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    if db.capabilities.dialect == "postgres":
        return """
        ALTER TABLE "ratmas_event" DROP COLUMN "legacy_id";"""
    return """
        DROP INDEX IF EXISTS "uid_ratmas_even_legacy__bd8798";
        ALTER TABLE "ratmas_event" DROP COLUMN "legacy_id";"""


MODELS_STATE = (
    "eJztXF1T2zgU/SuZPLEzbCeYBNh9CxBotm3oQGa3007Ho9gi0WLLri0DaZf/vpLiL9lyiE"
    "0SHKO3RNKV5XMk36Ora/9q244JLf9dPzARuXYe2n+2frUxsCH9kavbb7WB6yY1rICAicUb"
    "e4DYwNcBa8xbTnziAYPQultg+ZAWmdA3POQS5GBaigPLYoWOQRsiPE2KAox+BFAnzhSSGf"
    "RoxbfvtBhhEz5CP/rr3um3CFqmMGRksmvzcp3MXV52iqZDTC54W3bBiW44VmDjpL07JzMH"
    "xwYI8zuYQgzpXUF2BeIF7A7YAMMbjm5qMdikyWKUKRsT3oLAIqk7nuhJWVvXR1dj/WYw1v"
    "V2CYwMBzN86VB9DsCUDeH3PzTt8PBY6xwenfS6x8e9k84JbcvHm686floMJkFr0RXHbHg5"
    "HI3ZgBxK4oJhVvDEbQABCytORoI+pdvx9LIcpK2eZyLCPUVFCHTMRNQkoSKZgQ3jQsCejT"
    "OH/NkMeIW4hxYZ1OnNrIB6bgG8Nuw2eNQtiKdkRv92O0sQ/bt/ffa+f73X7fwmwjoKazRe"
    "JQJsQgKQlQd4DB8LJnZi0QiAlwA6HnzhE9T2/R9WGsi9T/0vHGN7HtZ8vBpdRs1TwJ99vD"
    "rNzmiSB/ucwkWQDQtmNJGAbYYm76IfDYN++GlwM+5/+izgf94fD1iNJmAfle4dZeZ93Enr"
    "n+H4fYv9bX29Gg04nI5Pph6/YtJu/LXNxgQC4ujYedCBmcYkKo6KBFrhPcSktJNIW1VyEn"
    "WjdHtegoml2zupw+ao5om4cDyIpvgDnHMyhnTgABtQgn0oEQesn1Ai7hgPT9FMi0oTQeGB"
    "h1hiChOQAkBvG5KFg+3fnPXPB22O8wQYdw/AM3UBcFbjaE6mJG6br7I1O1sCMJhydNhtsE"
    "FnoZco9zQtzyr3eC4o5f72lPs0QLSnshykrTb1UG4qFwn29OFKAr+Mck8sNiUst4q6INy1"
    "VYS7VizctZxwt9A91KtN8JzpWvanb+Z5I8xxj/h6eUkvGCplX2tl7waeMQM+pCgB00IYli"
    "Vb2oEivdake1Q3AqvCyhYMFcm1JplR8NORLehikZK2aUT8S9QpR90VdMpRt1CnsKpMvAtj"
    "J6DbbJttNOlzEGNolQ+mF3eiYutV1YtLNQgykAsopp5jwdKsFHSgGKnKyCIc4lVjQ2KsmK"
    "jKhOFBhpA+mZcjQbRT+FfFf8YMKZa+7PCv+GwqY1bJQdcM/62fT4Wu1tTLR3Bktk3gYNOx"
    "HIOdQ1gV5nvOsAlob3vGR8/s8ps90VLt9mq92wtcsyLNoqWiudY0W3AKjLlUPRc7LsFoLc"
    "/Q142Gb2BPnztvLz4YTomJKG8yo6BDs4sP19ACBflakjzN3VxWuUN4MXHk0bACn/YsUVpl"
    "cBpE/TQYKxcg1skLkfq86KXROMWBmRdjFffUMLw2mr2SXouyDJbMWn0+iyUy4K3XmsnyLU"
    "mXCnwYZSzzC5pU80Rl31XGS33iJMUZLykKV6cgZaSSECuHrHJLphQHMmtFRnUyVDrudsFX"
    "6bhNTse9ZMliN5AQpr4LRE2uzSrCZpGF5odW61c3q6qWumSKKgmjEgZqxpRKGKgvIyphoC"
    "5MvEouWd2Q33AqmTrBeU5g7uwJTonThU3q3FRoWKJwxcDxs9o2jFZvNGTnU1cKeHxuv5Uq"
    "9iD1sijcS6jQXY08RrHujaksxUHaSoUsKrtvYcGUIiBrqUioTAJ2CKLWVRx8xnQNHr5m2m"
    "rXHbyQogF8okPPczzKoCmRzMVvLuYtG7Rl0Q66x92Tw6NuvMrikmWLK7+QUjAR+ChZTMUZ"
    "hRLTJmxNtv+VFwJtV3b6XhyySplsz4l0dmlKhxBV8A8Sc+Uj6uwj1AGeOsCrEQ+7foCXye"
    "OSBjeymV4rBDhik40GOVQOUu2eFvtLAhkqB+nVdtAm8l0LzHX+P4d/8UlE1q6Bb7YfdFZ5"
    "bYu2KjyQ4HUi3g/In1mISsvAk3xDsxjvrF0Ttlgi3L0DbQW4aatCuHmdCPe/DsKVwkOCoT"
    "r+Ucq//pQq5V8PHnZd+fehh4xZW/YF/EXNUqUPkja1+X7mW5HxL4ydFQv0e+hF75KsKlhS"
    "Jg3Uhlqvt8or/b1e8Tv9rC4TAqaLqgTCYfMGorsR5U2vSKS+6a+bq5Ec4ZRJVgIig7T+az"
    "FFvoNoLwGXgbH8bCN7jJERdKyD03Jv/67fmT39D9pmTxc="
)
