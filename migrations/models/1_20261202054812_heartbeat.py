"""Heartbeats: what a running bot last said about itself, read by `ratmas health`.

Like every migration here it carries the SQLite and the PostgreSQL text (each generated
by aerich from the same models) and picks by the connection's dialect.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        CREATE TABLE IF NOT EXISTS "ratmas_heartbeat" (
    "shard_id" INT NOT NULL PRIMARY KEY,
    "shard_count" INT NOT NULL,
    "gateway_connected" INT NOT NULL,
    "scheduler_running" INT NOT NULL,
    "stopped" INT NOT NULL,
    "host" VARCHAR(255) NOT NULL,
    "pid" INT NOT NULL,
    "beat_at" TIMESTAMP NOT NULL
) /* What a running bot last said about itself, one row per shard (0 when unsharded); */;"""

POSTGRES = """
        CREATE TABLE IF NOT EXISTS "ratmas_heartbeat" (
    "shard_id" INT NOT NULL PRIMARY KEY,
    "shard_count" INT NOT NULL,
    "gateway_connected" BOOL NOT NULL,
    "scheduler_running" BOOL NOT NULL,
    "stopped" BOOL NOT NULL,
    "host" VARCHAR(255) NOT NULL,
    "pid" INT NOT NULL,
    "beat_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "ratmas_heartbeat" IS 'What a running bot last said about itself, one row per shard (0 when unsharded);';"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "ratmas_heartbeat";"""


MODELS_STATE = (
    "eJztXF1z2jgU/SsentKZbIcQSLK7TySlbbZN6CTsttNuxxW2grU1sivLJWw3/30lYeMvGW"
    "wHqHH0BpKuLJ0j+x7pXvtHa+qY0Pae930T0Rtn1vpN+9HCYArZj0zdodYCrhvV8AIKxrZo"
    "TACdAk8HvLFoOfYoAQZldXfA9iArMqFnEORS5GBWin3b5oWOwRoiPImKfIy++VCnzgRSCx"
    "JW8ekzK0bYhPfQC/+6X/U7BG0zMWRk8muLcp3OXVF2jiaXmL4UbfkFx7rh2P4UR+3dObUc"
    "vDRAWMxgAjFks4L8CpT4fAZ8gMGEw0ktBhs1WYwyZmPCO+DbNDbjsR6VtXT9ejjSbwcjXW"
    "+VwMhwMMeXDdUTAEz4EH75tdM5Pj7ttI9Pznrd09PeWfuMtRXjzVadPiwGE6G16Epgdvnq"
    "8nrEB+QwEhcM84IHYQMoWFgJMiL0Gd0O0ctyELdaz0SIe4yKAOglE2GTiIpoBTaMiwT2fJ"
    "wZ5C8sQHJxDyxSqLPJFEA9cwP8bNin4F63IZ5Qi/3ttlcg+lf/5uJ1/+ag236WhPU6qOmI"
    "qiTAJqQA2VmAR/A+Z2FHFo0AeAWgo8EHsUCnnvfNjgN5cNX/IDCezoOat8PrV2HzGPAXb4"
    "fn6RVNs2C/YHBRNIU5K5pKwDYDk+fhj4ZBf3k1uB31r94l8H/RHw14TSeBfVh6cJJa98tO"
    "tPeXo9ca/6t9HF4PBJyORydEXDFqN/rY4mMCPnV07Mx0YMYxCYvDogSt8DvEtLSTiFtVch"
    "J1o3R3XoKLpbuvUoctUM0S8dIhEE3wGzgXZFyygQNsQAn2gUQc8H4CibhnPDyEKy0sjQQF"
    "AbOlxEwsQAYAmzakCwfbv73ovxi0BM5jYHydAWLqCcB5jdNxUiXLttmqaWeaLgEYTAQ6fB"
    "p80GnoJco9Tsta5b5cC0q5Pz3lPvER66ksB3GrbT2Um8pFhD17uFLfK6PcI4ttCcudop4Q"
    "7p0iwr2TL9w7GeFuo+9Qr7bAM6Yb2Z8+medNYo0T6unlJX3CUCn7Wit71yeGBTzIUAKmjT"
    "AsS7a0A0V6rUknTDcCu8KdnTBUJNeaZE7Bv47shs4XKXGbRpx/JXXKSbeATjnp5uoUXpU6"
    "78LY8dk2e8o3muw5iDG0yx+m53eiztarqheXaRBkIBcwTIljw9Ks5HSgGKnKyOI4hFRjQ2"
    "KsmKjKhEEgR0gfz8uRkLRT+FfF3+KGDEtPFvzLj02lzCo56Jrhv/P4VOBqTb38CY7Mtgkc"
    "bPssx+BxCLvCes8YNgHtXa/48JldfrOXtFS7vVrv9nzXrEhz0lLRXDuaM7Hg/KBlzNGFOX"
    "0pdReYvXxzA22Qk0skySHcT8ozAeJkUsO9Yfse61miAsrgNAj7aTBWLkC8k0ci9W7RS6Nx"
    "Wh4aPBqrZU8Nw2urmRXxe1GWXZG6V9dnWIQGovVGsyw+Rak8vgfDbFpxQZP547Dss8rGqM"
    "8ePj8bI0ZhcQpiRipBrvJxSuaWKcWBzFqRUZ0MlSq6W/BVqmiTU0Vf8USmW0gpV985oibT"
    "poiwWWRIeYHV5tVNUdVSlyxGJWFUMLtmTKlgdn0ZUcHsujDxU/Kc6ob8ltOcVHRhncB8Ct"
    "GFberc15B5qDEEea9FJeqL6FsrNCgkbVvvLUA1oBEfY8a2NnaoZgOPah5ApgbGjk81RD1o"
    "3x1q7LmhEWemuZBoHnvEmNpBW5tZEGs+Fv+h+ez3VmrxbPwCf2MCgamN59qXxYw1NmObWl"
    "+etx4nyMUVpC4t15/FTZqjxjtH3dPu2fFJd+m+liWrvNZ6nb2Ay2AyWfI4XQPy0qpJpySP"
    "RDq2mWRTn4E53+5jaHAYsrrMYaIL4Jxtpcw+hfSYdbCHUK/SWcPh24SLOr9MJ5b8eXU+uD"
    "k4Er6JNUI0R4x5hgVN3+badvGgK0mA1F4RUIIA6rhu6XUfs1JgFwfbYvqrzLYjbN/AVys6"
    "vV6RvMFeLz9xkNeljj1KqRC3eeGDjTlGLoQr7N5iZmrrprZu8q1bLKtHsnFL5vys3bYFiU"
    "abj0fEsi08gJky56kVh1qsmEADuSgIA6msixod9q3YSoVUluIgbtUkd7Hjk9fEDVOKgLSl"
    "IqEyCdihiFlXOZtNmW7Aw9fsWHzfHXziiyjAozokxCGMQVMS7cj/IErWskHRpo1J5BhMFN"
    "5Lbqb8F5Ukpk2IKu385TxK4dSVJU7nZxvETHbnRNr7tKQDiCr4B4m58hF19hEq91LlXtaI"
    "h33PvUy9giM93Ei/pFPggGNpstVDDvX6SO2eFocrDjLU6yM/bQdtIs+1wVwX/zP450dz0n"
    "YNjOoctYt8DYK1yo3qiLok3jPkWTZi0tInkk/z5+OdtmvCFisJd++oUwBu1ioXblGXhPsf"
    "B+FKx0MJQxX+Ucq//pQq5V8PHvZd+fchQYbVkij+oGal0gdRm9p8lv+pyPitJW1+hyT8DE"
    "BRwRIzaaA23ErGD7+pSiAcNG8gultR3uyKVOqb/rgdXssRjpmkJSAyqPafxhX5HqK9AlwO"
    "xurYRjqMkRJ0vINzmUbYpTN7+B8XH0LF"
)

