"""Households: a guild's groups of people who never draw one another, kept from one
season to the next; a member is in at most one household per guild.

Carries the SQLite and the PostgreSQL text (each from aerich over the same models) and
picks by the connection's dialect.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        CREATE TABLE IF NOT EXISTS "ratmas_household" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "guild_id" BIGINT NOT NULL,
    "created_by" BIGINT,
    "created_at" TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_ratmas_hous_guild_i_e8ab7b" ON "ratmas_household" ("guild_id");
        CREATE TABLE IF NOT EXISTS "ratmas_household_member" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "guild_id" BIGINT NOT NULL,
    "user_id" BIGINT NOT NULL,
    "household_id" BIGINT NOT NULL REFERENCES "ratmas_household" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ratmas_hous_guild_i_6e8a03" UNIQUE ("guild_id", "user_id")
);"""

POSTGRES = """
        CREATE TABLE IF NOT EXISTS "ratmas_household" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "guild_id" BIGINT NOT NULL,
    "created_by" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_ratmas_hous_guild_i_e8ab7b" ON "ratmas_household" ("guild_id");
        CREATE TABLE IF NOT EXISTS "ratmas_household_member" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "guild_id" BIGINT NOT NULL,
    "user_id" BIGINT NOT NULL,
    "household_id" BIGINT NOT NULL REFERENCES "ratmas_household" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ratmas_hous_guild_i_6e8a03" UNIQUE ("guild_id", "user_id")
);"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "ratmas_household_member";
        DROP TABLE IF EXISTS "ratmas_household";"""


MODELS_STATE = (
    "eJztXV1z2jgU/SsentKZbCchkGR3n0hK22yb0EnYbafdjitsBbQ1smvLIWw3/30lGX/LYD"
    "lAjKM3kHRl+xxZOrq6kn+2prYJLe9lzzcRubZnrd+0ny0MppD+yOXtay3gOHEOSyBgZPHC"
    "LiBT4OmAFeYlRx5xgUFo3i2wPEiTTOgZLnIIsjFNxb5lsUTboAURHsdJPkY/fKgTewzJBL"
    "o048tXmoywCe+hF/51vuu3CFpm6paRya7N03Uyd3jaGRpfYPKal2UXHOmGbflTHJd35mRi"
    "48gAYf4EY4ghfSrIrkBcnz0Bu8HFA4cPFdxsXCS4y4SNCW+Bb5HEE4/0OK2l61eDoX7TH+"
    "p6SwIjw8YMX3qrHgdgzG7hl1/b7aOjk/bB0fFpt3Ny0j09OKVl+f3ms04egpuJ0Qqq4phd"
    "vLm4GrIbsimJAcMs4YHbAAICK05GjD6l23Z1WQ6SVquZCHFPULEAOmIiLBJTEbfAhnGRwp"
    "7dZw758wlwC3FfWGRQpw9TAvXcC/DUsE/BvW5BPCYT+rdzsATRv3rX529713udgxdpWK8W"
    "OW2elQbYhAQgKw/wEN4XNOzYohEALwF02P/EG+jU835YSSD3LnufOMbT+SLn/eDqTVg8Af"
    "z5+8FZtkWTPNivKFwETWFBiyYCsM2FycvwR8Ogv7js3wx7lx9S+L/qDfssp53CPkzdO860"
    "+6gS7ePF8K3G/mqfB1d9DqftkbHLrxiXG35usXsCPrF1bM90YCYxCZPDpBSt8A5iIj1IJK"
    "0qDRJ1o3R7owQTS7ffhQM2RzVPxGvbhWiM38E5J+OC3jjABhRgv5CIfVbPQiLuGA8PYUsL"
    "U2NB4YJZJDFTDZACQB8bkmCA7d2c9171WxznETC+z4Br6inAWY7dtjMpUdl81rQ9zaYADM"
    "YcHfYY7Kaz0AuUe5KWlco9agtKuT8/5T72Ea1JloOk1aY65aZyEWNPO1fiezLKPbbYlLDc"
    "Kuop4d4uI9zbxcK9nRPuFrqDerUGnjNdy/z02fQ3qTbuEk+Xl/QpQ6Xsa63sHd81JsCDFC"
    "VgWghDWbKFFSjSa026S3UjsCq82SlDRXKtSWYU/GuLXuhikZK0aYT/K61TjjsldMpxp1Cn"
    "sKyMvwtj26fT7CmbaNJ+EGNoyTvTiytRvvWq6sWhGgQZyAEUU9e2oDQrBRUoRqoyErhD3G"
    "psCIwVE1WZMFzIENJHczkS0nYK/6r4T5ghxdITLf4Vr01lzCoN0DXDf+vrU4uh1tTlPTgi"
    "2yZwsGlfjsHWIawK7T1n2AS0t93iwz5bfrKXtlSzvVrP9nzHrEhz2lLRXGuaLTgGxlyono"
    "sHrpTRWvrQp/WGb3hOP/LNMRS8RsUAxxZNGKHS+B4elBEEtFQhwjxPENJQvPae0GthaGpm"
    "krIwe/3uGlqgICROEAq7mz1XLs4hHZtzb1i+R2sWiFkZnPphPQ3GyvbJyL5/HE4DXkeDQX"
    "IAYpU8sjl9CGppNE6Rg/DRWEU1NQyvjUZRJTssUSRVpkNbHU0VGvDSa42o+hKH7fkeDCPn"
    "+QVNqr3DtK8q8qo+/rriyKsEheUpSBipYNjKrtPcKyPFgchakVGdDBUWvl3wVVh4k8PC37"
    "CgxRtICFPfBaImV6aMsAmiIb2F1frVTVnVUpeIZSVhVOBKzZhSgSv1ZUQFrtSFiSeJaawb"
    "8hte/lAriasE5s6uJEoswWxS576FdIQaQVC0BTKVX0bfTkKDUtK29XECiAY018eYsq2NbK"
    "JZwCOaB5CpgZHtEw0RD1q3+xrtNzTXnmkOdDWPdjGmtnegzSYQaz7m/6H54vdWpvGs/QJ/"
    "YxcCUxvNtW/BE2v0iS0y+fay9ThBzq8gHNIKx7OkSXPUePuwc9I5PTruRMNXlLJs1Fqtsw"
    "O4DCqTBd3pCpAjqyZ5SR6JdGIySR99BuZsuo+hwWDI6zKbii6AC6aVIvsM0iNawQ5CvUxn"
    "DQbvU0PU2UU2iOzPy7P+9d4hH5toIUQKxJhnTKDpW0zbBh2dJAFCe0WABAHEdhzpdp+wUm"
    "CXB3tC9ZfMtCMs38BtVO1ut0yMcLdbHCTM8jJuDykV4jRv+WBtAyMTwhVmbwkzNXVTU7eC"
    "qZvte3BiW+YlnI6gWzSBy5faLzONC830Kbdb/0LFl9Rigoq6qKGzbxfPu3kGnlcV8vJ0uw"
    "WjblEW/6ylImFd0RYRsnlCpCMuotGy2VEX2cZYp8iLFAXLBI20lFm/hlFipS79w26KlaZy"
    "oY43qBv+asvxc3ZDJAZRPpt/5B4ZsU9hN+nf7j6ZeMOaQNmkdrOtlDXx/rmNaprEbhl21A"
    "YMPDRK5dRO5SivwJMNst/p08qsR4Xlm7getfYja1xoIAdV2dyStVQqsmoDxzYRxHkWnxYU"
    "lm9CjOcymbiRQ4JsTITbh5YczhSbbK9LabUaAnggayS678hgi2A7EJuLsJxd7MQBIXDqiP"
    "bmF29oSZhsT5scbLbfXltgAYth1aHr2i6FzBQ03+Iz+fOWDRoYNwEwoR2vTHcsMFUDYZXv"
    "l/EOQOefMKjkwhLXsAZX1g4xswuerPRnAtlHQ9xKfGdtFdO1ZnpaebNrzrRBI9i2N1RCzw"
    "PjCnspU3YK/wYs0NSMjyb1dep0lvrEC6nTWXb+dJbEgYaCdbT0cYcrF9IWZyyufyUtuXQG"
    "MAE8vnlfSySnPNQq9Lk2vcf+knW2iEopDpJWqiuvrJaeeDFIkdAKVncQta6iWTOmSrTWWb"
    "QqH7PyMdfo9dmgj1mtS621SYd+d/nxQWCuxog6jxFjdEt0j8kqebKztorp2jNNVTREd5Wk"
    "n8heMV5nxpXTUjkta8TD7jstU18WETous98eKeG8jEw26sBU5zPUrrfYX+KkVJsBnsw7Zi"
    "LPscBc5/9z+BdHlWbtGrg5YG3fr0viPUPexEJ02ui7lgzeWbsmuE/ScHcP2yXgpqUK4eZ5"
    "+a0AUp9qjgwaCHCp9txd0p67+fb8j41wpQlWylDt11VTq/pTqqZW9eBh16dWPegiY9ISTK"
    "kWOfvLplIgLlOb02GeyzxpY4d930E3/HxkWaWSMGmg+N7ISbHspZJAeFG8gehuZGpTuBX0"
    "j5vBlexWUBMZRPtPY1OeHUR7CbgMjOULw9k14IygYxWcyX0Vff2D2cP/Q1ZpRw=="
)
