"""Budget, notes and gift marks: the event's budget, a participant's notes for their
santa, and when a pairing's gift was marked sent and received.

Carries the SQLite and the PostgreSQL text (each from aerich over the same models) and
picks by the connection's dialect.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        ALTER TABLE "ratmas_event" ADD "budget" VARCHAR(100);
        ALTER TABLE "ratmas_pairing" ADD "gift_sent_at" TIMESTAMP;
        ALTER TABLE "ratmas_pairing" ADD "gift_received_at" TIMESTAMP;
        ALTER TABLE "ratmas_participant" ADD "notes" VARCHAR(500);"""

POSTGRES = """
        ALTER TABLE "ratmas_event" ADD "budget" VARCHAR(100);
        ALTER TABLE "ratmas_pairing" ADD "gift_sent_at" TIMESTAMPTZ;
        ALTER TABLE "ratmas_pairing" ADD "gift_received_at" TIMESTAMPTZ;
        ALTER TABLE "ratmas_participant" ADD "notes" VARCHAR(500);"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "ratmas_event" DROP COLUMN "budget";
        ALTER TABLE "ratmas_pairing" DROP COLUMN "gift_sent_at";
        ALTER TABLE "ratmas_pairing" DROP COLUMN "gift_received_at";
        ALTER TABLE "ratmas_participant" DROP COLUMN "notes";"""


MODELS_STATE = (
    "eJztXV1T2zgU/SseP9EZtgMhAXb3KdC0ZVtIB7LbTrsdV7FFosWRXVsmZLv895VkO/6Sk8"
    "gkwXH1RiRd2T5Hls69ujI/9IljQdt/2Q0sRK6dqf6b9kPHYALpH4W6fU0HrpvUsAIChjZv"
    "7AEyAb4BWGPecugTD5iE1t0C24e0yIK+6SGXIAfTUhzYNit0TNoQ4VFSFGD0PYAGcUaQjK"
    "FHK758pcUIW/AB+vFP9864RdC2MreMLHZtXm6QmcvLztDoApPXvC274NAwHTuY4KS9OyNj"
    "B88NEOZPMIIY0qeC7ArEC9gTsBuMHjh+qPBmkybhXaZsLHgLApuknnhoJGW6YVz1B8ZNb2"
    "AYugRGpoMZvvRWfQ7AiN3CL7+2WkdHJ62Do+PTTvvkpHN6cErb8vstVp08hjeToBV2xTG7"
    "eHNxNWA35FASQ4ZZwSO3AQSEVpyMBH1Kt+MZshykrZYzEeOeoiICes5E3CShIhmBDeMigz"
    "27zwLy52PgleIeWeRQpw+zAuqFF+C5YZ+AB8OGeETG9Gf7YAGif3Wvz992r/faBy+ysF5F"
    "NS1elQXYggQguwjwAD6UDOzEohEALwB00PvEB+jE97/baSD3LrufOMaTWVTzvn/1Jm6eAv"
    "78ff8sP6JJEexXFC6CJrBkRBMB2FZk8jL+o2HQX1z2bgbdyw8Z/F91Bz1W08pgH5fuHefG"
    "/bwT7ePF4K3Gfmqf+1c9Dqfjk5HHr5i0G3zW2T2BgDgGdqYGsNKYxMVxUYZWeA8xkV4k0l"
    "aVFom6Ubq9VYKJpds74YLNUS0S8drxIBrhd3DGybigNw6wCQXYRxKxx/qJJOKO8fAYj7S4"
    "NBEUHpjOJWZmAFIA6GNDEi6w3Zvz7queznEeAvNuCjzLyADOapyWkyuZty1WTVqTfAnAYM"
    "TRYY/BbjoPvUC5p2lZqtznY0Ep959PuY8CRHuS5SBttalJualcJNjTyZUEvoxyTyw2JSy3"
    "inpGuLdWEe6tcuHeKgh3G91Do9oAL5iuxT/9aeabzBj3iG/IS/qMoVL2tVb2buCZY+BDih"
    "KwbIShLNnCDhTptSbdo7oR2BXe7IyhIrnWJDMK/nVEL3S5SEnbNCL+ldUpx+0VdMpxu1Sn"
    "sKpcvAtjJ6Bu9oQ5mnQexBja8sH08k5UbL2qenGpBkEmcgHF1HNsKM1KSQeKkaqMhOEQrx"
    "obAmPFRFUmTA8yhIzhTI6ErJ3Cvyr+Y2ZIsfRFm3/le1M5s0oLdM3w3/r+VLTUWoZ8BEdk"
    "2wQONh3LMdk+hF1hvBcMm4D2tkd8PGfLO3tZS+Xt1drbC1yrIs1ZS0VzrWm24QiYM6F6Ll"
    "+4MkZrmUOfNxq+YZ9+GFgjKHiNygFOLJqwQmXxPTxYRRDQVqUI8zpBSkP53ntKr8WpqTkn"
    "JTJ7/e4a2qAkJU6QCrubM1chzyGbm/Ng2oFPexaIWRmcenE/DcbKCcjQeXgaTn3eR4NBcg"
    "FinTxxOH0Ie2k0TvMA4ZOxmvfUMLw2mkWVnrBEmVS5CW15NlVswFuvNaPqS5K2F/gwzpzn"
    "F7So9o7LvqrMq/rE68ozr1IUrk5Bykglw1YOnRZeGSkORNaKjOpkqLTw7YKv0sKbnBb+hi"
    "Ut3kBCmPouETWFNqsImzAb0o+s1q9uVlUtdclYVhJGJa7UjCmVuFJfRlTiSl2YeJacxroh"
    "v+HtD7WTuExg7uxOosQWzCZ17ltIV6ghBGVHIDP1q+jbcWywkrTVP44B0YDmBRhTtrWhQz"
    "Qb+ETzAbI0MHQCoiHiQ/t2X6PzhuY5U82FnubTKcbS9g606RhiLcD8N7Re/K7nBs/aL/A3"
    "9iCwtOFM+xY+sUaf2Cbjby/1pwlyfgXhkla6nqVNmqPGW4ftk/bp0XF7vnzNSxatWst1dg"
    "iXSWWyYDpdAvLcqklRkicinXIm6aNPwYy5+xiaDIaiLnOo6AK4xK0U2eeQHtIOdhDqRTqr"
    "33+fWaLOLvJJZH9envWu9w752kQbIVIixnxzDK3AZto2nOgkCRDaKwIkCCCO60qP+5SVAn"
    "t1sMdUf8m4HXH7Bh6janU6q+QIdzrlScKsLhf2kFIhbvO2D9a2MDIhXMF7S5kp1025bmLX"
    "LUl+EvhtmcyopU5bkou10c2IVOYFO7YBwxwLlVRRux0JlVTxbGHVO/q0Mtombt9EbbP240"
    "8eNJGLqiRK5C3VvkHVAY4dItgzKD95Frdvwn7B1g+cOZgIU1EWHPRLTLY3peh6QwAPZY3E"
    "9D032CLYLsRWFOLZxUkcEAInrijPuzw5ImWyPW1ysNl5e21OKtsPMaDnOR6FzBIM3/Lvux"
    "UtG7QwbgJgQidemelYYKoWwirfwuYTgME/h1dpQ13cwxqiMzvEzC4EZ7KfnGcfoPQq8Z23"
    "VUzXmulJ5cTJgmmDVrBtJ+dB3wejCnl5GTuFf1X8a/R9kZrx0aS5Tp30USd9asTDrp/0SR"
    "2OF+yjZY/OL91Ii87rr38nLb11BjAB/ITyvpYqzkSo1eHl2swe+wv22eZUSnGQtlJTeWW1"
    "9MybQYoEPdzdQdS6imbNmSrRWmfRqmLMKsZco9dngzFmtS+11iEdx93l1weBuVoj6rxGjN"
    "AtMXwmq+TJztsqpmvPNFXREN1Xkn4ie8V4nRlXQUsVtKwRD7sftMx8pVIYuMx/x3KF4OXc"
    "ZKMBTPWFxdrNFvsLgpTqMMCzRccs5Ls2mBn8dwH/8qzSvF0DDwes7VvoabynyB/biLqNgW"
    "fL4J23a0L4JAt357C1Aty0VSncvK54FEDq3/7MDRoI8ErjubNgPHeK4/kfB+FKDlbGUB1B"
    "Va5V/SlVrlU9eNh116oLPWSOdYFLFdXsL3KlQNLmWT7rKvXlhob5SRv7cNQ99OJ/RbCqUk"
    "mZNFB8b+SrI+ylkkA4at5AdDfi2pQeBf3jpn8lexTUQibR/tOYy7ODaC8Al4GxeGM4vwec"
    "E3SsgzO5/7C1/sXs8X8ZUs7S"
)

