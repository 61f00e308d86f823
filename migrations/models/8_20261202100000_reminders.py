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
    "eJztXVtzozYU/iuMn9IZdyfrxMm2fXJ2vbtpc+kk7mW67VAZFFtdEBTEJm6b/15J5o5wDD"
    "aOrOgtEToyfJ+QvnN0JP7tuZ4NnfDVKLIRufHue98a//YwcCH9o3Ktb/SA72dXWAEBU4dX"
    "DgBxQWgCVpnXnIYkABah1+6AE0JaZMPQCpBPkIdpKY4chxV6Fq2I8CwrijD6O4Im8WaQzG"
    "FAL3z6gxYjbMMHGCb/+p/NOwQdu3DLyGa/zctNsvB52RmanWPyntdlPzg1Lc+JXJzV9xdk"
    "7uHUAGH+BDOIIX0qyH6BBBF7AnaD8QMnD7W82azK8i5zNja8A5FDck88NbOynmleXU/M2/"
    "HENHsNMLI8zPCltxpyAGbsFr7+ZjA4OjodHB6dvBken54O3xy+oXX5/VYvnT4ubyZDa9kU"
    "x+z8w/nVhN2QR0lcMswKHrkNIGBpxcnI0Kd0e4HZlIO81dNMJLjnqIiBTplIqmRUZD1QMS"
    "4K2LP7rCD/dg6CWtxjixLq9GHWQL3yAjw37C54MB2IZ2RO/z0+XIHoz6Obtx9HNwfHh18V"
    "Yb2Krwz4pSLANiQAOVWAJ/ChpmNnFkoAvALQyfhX3kHdMPzbyQN5cDn6lWPsLuIrF9dXH5"
    "LqOeDfXlyflXs0qYL9jsJFkAtrejQRgG3HJq+SPxSD/vxyfDsZXf5YwP/daDJmVwYF7JPS"
    "g5NSv08bMX45n3w02L/Gb9dXYw6nF5JZwH8xqzf5rcfuCUTEM7F3bwI7j0lSnBQVaIVfIC"
    "aNJ4m8VatJQjZKdzdLMLF091k4YXNUq0S89wKIZvgHuOBknNMbB9iCAuxjiThm7cQScc94"
    "eEx6WlKaCYoA3KcSs9ABKQD0sSFZTrCj27ejd+Mex3kKrM/3ILDNAuDsijfwSiVp3eold+"
    "CWSwAGM44Oewx202XoBco9T8uTyj3tC1q5vzzlPosQbakpB3mrrgZlVbnIsKeDK4nCJso9"
    "s+hKWO4U9YJwH6wj3Af1wn1QEe4O+gLNdh28YroV//TFjDeFPh6Q0Gwu6QuGWtlLrez9KL"
    "DmIIQUJWA7CMOmZAsb0KRLTXpAdSNwWrzZBUNNstQkMwr+8UQvdL1IydsoEf8q6pST4zV0"
    "yslxrU5hl0rxLoy9iLrZLnM06TiIMXSaB9PrG9Gx9bbqxacaBFnIBxTTwHNgY1ZqGtCMtG"
    "VkGQ4J2rEhMNZMtGXCCiBDyJwumpFQtNP4t8V/zgwplqFo8a9+bapk1mqClgz/na9PxVOt"
    "bTaP4IhsVeCg61iOxdYhnBb9vWKoAtq77vHJmN3c2Staam9Pam8v8u2WNBctNc1S0+zAGb"
    "AWQvVcP3EVjLYyhj5vNLxjn34a2TMoeI3qAc4sVJihivi+PlxHENBatQjza4+lAKRLH868"
    "R+HcQSExbbAQSLFbFzhOrTNS18buMk0Ou3VKjganJ6kbwv5Z5XjcXo4uLqqeRgzSDN1tBH"
    "LBXgNcARjm+mGbqLq4jS3MxZINLSpNxSlr/OXYgPWcvWZcNsYriXj1GWO5KEOyoaIUWovN"
    "3v9wAx1Qk8gt2MCxn3q7kp1XzCh9sJwopC0LpqQmOI2TdhTGyovI1HvYDKdr3obCIPkAsU"
    "Y27E4/LltRGqd0WWtjrNKWFMOr09zf/IAlyv8tDWhP5wAnBrz2VvOAP2XJ5lEIk/1e/AeZ"
    "cEnK/tD5wvKsMtXnC+coXJ+CnJHewtF6wa/yyjTiQGStyWhPht7MtFvw9WYmlTczfWCp9r"
    "eQEKa+a0RNpc46wmaZwx/GVttXN+uqFln22WgJo9MtJWNKp1vKy4hOt5SFiWfJxJcN+Y4X"
    "7XX+y1MCc2+XYPI0pyuk8epZ0GpVu74VhQa5baxu86XJjaAWt6BhbrKw2KX39hFS3TWFoO"
    "44isL1/hpe2zwxWMth6/0yB8QARhBhTME2ph4xHBASIwTINsDUi4iBSAidu75BZ0Mj8O4N"
    "HwZGSCdO2zg4NO7nEBsR5v9D+6vveiXutv4Dv+MAAtuYLow/l09s0Cd2yPzPV73+Rm4m/w"
    "WhUKt9ufIm6viYg9fHp8dvjk6O09cqLVn1bj3tPS7hsqjzJxAJT4CcWqkU+9sQ6dw8QR/9"
    "HixYEAtDi8FQ9TY86koAXDNLiOxLSE9pA3sI9Srv4fr6oiC8zs7LCf0/XZ6Nbw5ec8VFKy"
    "FS42KE1hzakcM8tuVA15AAob0moAEBxPP9xv0+Z6XBXh/sOfUqmjjTSX0Ft7QPhsN19msN"
    "h/Ubtti1UjCvkQrx1VsU29rEyIRwi5hEzkwHJKQLSMjiunlRCOeeY19CdwqDOgeuWqu/jh"
    "uXmJkut9v+8tunwhKZziWSMIS9j2cPvoD1BJ3I9XwnN6TDYlP8y5aahG3lEKXIVglpnEeU"
    "zpZq5xKVO6NM+UQFClYJmsZSZvsaRosVWcaH/RQrqnKhj5qSDX99/MtLDkPkJlHuzW+480"
    "scU9hP+ne7+yvbhilQNoU9mk/KmmxXaKeaJrcHjB17BpcRGq1ypFM5OirwbJPsZ/q0Tdaj"
    "kvoqrkdt/fjAAFrIR222bJUttYps28GxRwTZy/UnNyb1VchcXiUTOzmw0cNEuCluxUGZmc"
    "nuhpReTxHAl7KmwfCdGuwQbB9iO07L2cdBHBACXV904kT9Nq2ciTJHjm0tsYDlsJowCLyA"
    "QmYLum8trgJLhSbGLgAmdOBtMhwLTPVE2OZbsnwAMPnnpFqFsMQt6EPWZItkFT/ZzD7gFr"
    "Tiu2yrmZaaabf1Fu6KqUIz2K63CcMwBLMWO4QLdhp/BRZoJONDpbFOnzkkT76QPnNo788c"
    "yh3TKVhHKx7i+eRCWnxy6PZX0vJLZwATwPOb+0auuBCh1qnP0owe/RXrbCmVjTjIW+mhvL"
    "VaeubFIE1Cb7m6g6h1G81aMtWiVWbRqmPMOsYs0evTYYxZr0tttUsncffm84PAXM8RMs8R"
    "/HynkMmq5mSXbTXT0jNNVTREX1pJP5G9ZlxmxnXQUgctJeJh/4OWhe/lCAOX5S/qrBG8TE"
    "06DWDq8xmkGy36K4KUejPAs0XHbBT6DliY/P8K/vVZpWU7BTcHdPIt4fQw3yhwmuBdtlMh"
    "fFKEe/h6sAbctFYt3PxadSuAIFxSj3NqoCDAa/Xn4Yr+PKz25788hFs5WAVDvV9Xu1byU6"
    "pdKzl42HfXagQDZM17ApcqvtJf5UqBrI40p8O8FD+ps8O+v8Ag+SjqukolZ6Kg+O7kpFj2"
    "UjVAOK6uILqduDa1W0G/v72+aroV1EYWMf4zmMuzh2ivAJeBsXphuLwGXBJ0rIGz5/4kx+"
    "P/pe5+aA=="
)
