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
    "eJztXW1X2zYU/is++UTPYT2QEmDbp9CmLWuBHcjWnXU9rmKLxKsju7ZcyLb+90l+ly0nlk"
    "mCIvQNJF3Ffh5Feu7VlfJvb+7Z0A2fDyPbwdfeXe8n498eAnNI/qjV7Rs94PtFDS3AYOLG"
    "jQOA5yA0AW0ct5yEOAAWJnW3wA0hKbJhaAWOjx0PkVIUuS4t9CzS0EHToihCztcImtibQj"
    "yDAan4+IkUO8iG9zDM/vW/mLcOdG3mkR2bfnZcbuKFH5edOdNzhF/HbekHTkzLc6M5Ktr7"
    "CzzzUG7goPgNphBB8laQfgIOIvoG9AHTF85eKnnYoknylCUbG96CyMWlN56YRVnPNC+vxu"
    "bNaGyaPQGMLA9RfMmjhjEAU/oIP/zY7794cdI/eHF8Ojg6ORmcHpyStvHz1qtOvicPU6CV"
    "dBVjdv7m/HJMH8gjJCYM04LvsQ3AILGKySjQJ3R7gSnKQdlqNRMZ7iUqUqBzJrImBRXFCF"
    "SMCwZ7+pw15F/OQNCIe2pRQZ28TAvUa1+Ax4Z9Du5NF6IpnpF/jw6WIPr78Prl2+H13tHB"
    "MxbWy7SmH1exANsQA8etAzyG9w0Du7BQAuAlgI5Hf8QDdB6GX90ykHsXwz9ijOeLtOb91e"
    "WbrHkJ+Jfvr86qIxrXwX5F4MLOHDaMaMwB205Nnmd/KAb9+cXoZjy8+JXB/9VwPKI1fQb7"
    "rHTvuDLu806MD+fjtwb91/jz6nIUw+mFeBrEn1i0G//Zo88EIuyZyLszgV3GJCvOihha4T"
    "eIsPAiUbbqtEjIRun2Vgkqlm6/cBfsGNU6Ea+9ADpT9A4uYjLOyYMDZEEO9qlEHNF+Uom4"
    "Yzx8z0ZaVloIigDc5RKTGYAEAPLaECcL7PDm5fDVqBfjPAHWlzsQ2CYDOK3x+l6lJG9br5"
    "r359USgMA0Roe+Bn3oKvQc5V6mZaVyz8eCVu5PT7lPI4f0JMpB2WpTk7KqXBTYk8kVR6GI"
    "ci8sNiUst4o6I9z7bYR7v1m492vC3XW+QbPbAK+ZrsU/fTLzDTPGAxya4pKeMdTKXmpl70"
    "eBNQMhJCgB23UQFCWb24EmXWrSA6Ibgdvhm80YapKlJplS8I/H+0I3i5SyjRLxL1anHB+1"
    "0CnHR406hVZV4l0IeRFxs+fU0STzIELQFQ+mN3eiY+td1YtPNIhjOT4gmAaeC4VZaehAM9"
    "KVkSQcEnRjg2OsmejKhBVAipA5WYiRwNpp/LviP6OGBMuQt/nXvDdVMeu0QEuG/9b3p9Kl"
    "1jbFIzg8WxU42HQsx6L7EG6H8V4zVAHtbY/4bM4Wd/ZYS+3tSe3tRb7dkWbWUtMsNc0unA"
    "JrwVXPzQsXY7SWOfRxo+Eb9uknkT2FnK9RM8CFhQorFIvv4UEbQUBaNSIc13FSGpr33kt6"
    "LUtNrTgpqdnrd9fQBQ0pcZxU2N2cuWp5Dmxuzr3lRiHpmSNmRXAaZf0ojNUchiGYwgcidZ"
    "H0ojBOXoQn3v3DULqK+1AYJB84tJMHDqZfk16UxikPpD4Yq7wnxfDaaLZZeWLnZZxVJv7V"
    "WWeZQdx6rZlnH4v0xiiE2QmD+ANt4qNkZZ90hpo8cc3mDLUShe0pKBnppOHOIebaV0aIA5"
    "61JqM7GTp9frvg6/R5ldPn39DkzhuIMVXfDaKm1qaNsEmyRsPUav3qpq1qkSWzW0sYneAj"
    "GVM6wUdeRnSCjyxMPErup2zIb3ibSO+4rhKYO7vjKrBVtUmd+xaSFWoCQdNRUaa+jb6dZQ"
    "atpG3vwwxgAxhBhBBh25h42HBBiI0QOLYBJl6EDQeH0L3dN8i8YQTeneHDwAjJFGMbewfG"
    "3QwiI0Lx/9B+9nOvMnjW/gF/oQAC25gsjM/JGxvkjV08+/y89zBBHn8Cd0lrXM/KJuqo8f"
    "7h0cnR6Yvjo3z5ykuWrVqrdXYCl0VkMmc6XQFybqVSlOSBSJecSfLqd2BB3X0ELQpDXZd5"
    "RHQB1OBW8uwrSE9IBzsI9TKddXX1nlmizs6ryXa/XZyNrvcO47WJNHJwgxgLrRm0I5dq22"
    "SiEySAa68JECAAe74vPO5LVhrs9mDPiP4ScTuy9goeN+sPBm1yqQeD5mRqWlcJewipEF+9"
    "7YO1LYxUCHfw3kpm2nXTrluD6+ZFIZx5rn0B5xMYNDlw9Vb7bdy4zMycx3br36j4yGwm6K"
    "wLCYN9u3gv0BOIvOqUl8c7VZlPi6L4Vy01CevKtsiRrRMinHGRr5ZqZ11UB6NMmRcMBcsE"
    "jbCUWb+G0WJFlvlhN8WKqlzoayBkw18fzX7KYYjy6TTqzT/wjAw/prCb9G/3nEzpWB9H2r"
    "CH/lYKm/Sk4cZlTenATAhJceZHhjTVkEwPn7TukVL3MGS1J4Ex025q56WXTN9khg+heJ5i"
    "1VKT0JkE2wmg8C/gMEYKbhoetrtuYcltC9Udw+Qwt/BAZ8zUyWDa9iXa6TosKPBLZlrdS6"
    "fu9dk+OaPN+mzfzp/tK24N4fhgzJUiK12w4hKTrXlgmAwU7XJJ6nLprdlHU0FfyNuKiPys"
    "vYL6fv33qxJ/yPGdLiqkaqlD+V0HOPIw57Bd89W2WXsVDtotU/MbudHWQ5ir85bcJFyYbG"
    "9K6fUUATyRNQLTd26wRbB9iOz0bMQuTuIAYzj3eRekNUciSybb0yYHm52315bdTQ8SmjAI"
    "vIBAZnOGbyOuHEuFFsZNAIzJxCsyHXNM9ULY5ce24wnAjH9vr1MeAb+HNUQcd4iZXQs42p"
    "D+wmXQie+qrWZaaqbnnW8cqpkqtIJt+1abJJND/EIbxk7jr0CWnGR8qDTX6W00vY0mEQ+7"
    "vo1WulWes4/G3jm/ciMtveh+/Ttp5a0zgDCID5nuG6ViJkKtz59KM3vsL9lny6kU4qBspa"
    "fyzmrpkTeDNAm9ZHfHIdZdNGvFVItWmUWrjjHrGLNEX58Nxpj1vtRah3QWdxdfHzjmeo2Q"
    "eY2YOrfY7JgFXrXVTEvPNFHR0PnWSfrx7DXjMjOug5Y6aCkRD7sftGR+3pEbuKz+AGSL4G"
    "VustEApr4kT7rZYn9JkFIfBnjEY7+h74KFGf9fw3/ZyV/WTsHDAWv7sfUy3ndOOHMd4jZG"
    "gSuCd9VOhfAJC/fgsN8CbtKqEe64rn4UgBMuacY5N1AQ4FbjebBkPA/q4/lvz0GdHCzGUB"
    "+r1q6V/JRq10oOHnbdtRrCwLFmPY5LldbsL3OlQNFGmis6n4qftLFfXPoGg1Dw7p2SiYLi"
    "eyM/10G/VAIIp80VRHcjrk3jUdBfbq4uRY+C2o6Fjf8M6vLsINpLwKVgLN8Yru4BVwQd7e"
    "CMpxG2uZh9/x/AKA3J"
)
