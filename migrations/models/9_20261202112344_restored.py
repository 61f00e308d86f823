"""Restores that can be repeated: each event restored from a snapshot keeps the
SHA-256 of that snapshot file (`restored_from`, unique), so `ratmas restore` of the
same file again finds the event and stores nothing.

Events stored before this migration were restored from nothing that is recorded (NULL).
Carries the SQLite and the PostgreSQL text (each from aerich over the same models) and
picks by the connection's dialect.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE = """
        ALTER TABLE "ratmas_event" ADD "restored_from" VARCHAR(64);
        CREATE UNIQUE INDEX "uid_ratmas_even_restore_c4956b" ON "ratmas_event" ("restored_from");"""

POSTGRES = """
        ALTER TABLE "ratmas_event" ADD "restored_from" VARCHAR(64);
        CREATE UNIQUE INDEX "uid_ratmas_even_restore_c4956b" ON "ratmas_event" ("restored_from");"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES if db.capabilities.dialect == "postgres" else SQLITE


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "uid_ratmas_even_restore_c4956b";
        ALTER TABLE "ratmas_event" DROP COLUMN "restored_from";"""


MODELS_STATE = (
    "eJztXWtz2zYW/SscfXJntBlbtuzs9pOcKIm3fnRsbdtpNsNCIixxw1dJMLa2m/++APgECU"
    "oE9TAE45sN4kLkOSBw7gUu+FfP9S3oRG9GsWWje/+p9w/jr54HXIj/qF3rGz0QBMUVUoDA"
    "1KGVQ4BcEJmAVKY1pxEKwQzha4/AiSAusmA0C+0A2b6HS73YcUihP8MVbW9eFMWe/WcMTe"
    "TPIVrAEF/4/AUX254Fn2GU/Rt8NR9t6FjMLdsW+W1abqJlQMsu7fmVhz7QuuQHp+bMd2LX"
    "K+oHS7TwvdzA9ugTzKEH8VNB8gsojMkTkBtMHzh7qORmiyrJXZZsLPgIYgeVnnhqFmU907"
    "y9m5gP44lp9gQwmvkewRffakQBmJNb+NvfB4PT04vB8en52+HZxcXw7fFbXJfeb/3Sxffk"
    "Zgq0kqYoZlcfr24n5IZ8TGLCMCn4Tm0AAokVJaNAH9Pth6YoB2Wr9UxkuJeoSIHOmciqFF"
    "QUPVAxLhjsyX3WkH+3AGEj7qlFBXX8MC1Qr70ALw27C55NB3pztMD/nh2vQPSX0f27T6P7"
    "o7PjH1hYb9MrA3qJBdiCCNhOHeAJfG7o2IWFEgCvAHQy/o12UDeK/nTKQB7djH6jGLvL9M"
    "r13e3HrHoJ+HfXd5fVHo3qYL/HcCHbhQ09GnHAtlKTN9kfikF/dTN+mIxufmbwfz+ajMmV"
    "AYN9Vnp0Xun3eSPGr1eTTwb51/j97nZM4fQjNA/pLxb1Jr/3yD2BGPmm5z+ZwCpjkhVnRQ"
    "yt8Bv0kPAkUbbqNEnIRun+Zgkilh6/cidsimqdiA9+CO259xNcUjKu8I0DbwY52KcScUza"
    "SSXigfHwPetpWWkhKELwlEtMpgNiAPBjQ5RMsKOHd6P34x7FeQpmX59AaJkM4OSKP/ArJX"
    "nd+iV34FZLgAfmFB3yGOSmq9BzlHuZlrXKPe8LWrm/PuU+j23ckigHZatdDcqqclFgjwdX"
    "FEciyr2w2JWw3CvqjHAftBHug2bhPqgJd8f+Bs1uHbxmuhX/9NWMN0wfD1Fkikt6xlAre6"
    "mVfRCHswWIIEYJWI7tQVGyuQ1o0qUmPcS6ETgd3mzGUJMsNcmEgv/6vBe6WaSUbZSIf7E6"
    "5fyshU45P2vUKeRSJd7leX6M3WyXOJp4HPQ86IgH05sb0bH1ruolwBrEntkBwJiGvgOFWW"
    "loQDPSlZEkHBJ2Y4NjrJnoysQshAQhc7oUI4G10/h3xX9BDDGWEW/xr3ltqmLWaYKWDP+9"
    "r0+lU61likdweLYqcLDrWM6MrEM4Hfp7zVAFtPfd47MxW9zZYy21tye1txcHVkeaWUtNs9"
    "Q0O3AOZkuuem6euBijrYyhLxsN37FPj+lCfojfiMfQd0VwrhlqrNdhPY2tOeQMWc0gFxYq"
    "qAEW35PjNuIL12pEmF6rdmcXP5z5ZEcLx46QaYElR/Y+uMBxGh2/pjb2t6vneFcEJA7g6e"
    "DiPHf5yD+rnLyHm9H1dd2rS0Ga248bgczYa4BrAMNSP+yygsFvYwu6R7KhRSXZk7NGX44N"
    "WC/Za8ZlY7y26bF5d14popMlr1TCmKnZh5/uoQMaNs1zkmUO07ep7YRkd+8+z5w4wi1zpi"
    "QRnMZZOwpj5cIoAnO4IVI3SSsK4+THaOo/b4bSHW1DYZACYJNGNuxMPyetKI1TvtS6MVZ5"
    "S4rhtdP96OWBnbcnvTLwr9+XnhnQ2lvdm/65SICII5jlINIfJAIvK/ui97DLs/LZvIe9RG"
    "F7CkpGOq2o8yJ07ZUR4oBnrcnoToZOsNsv+DrBTuUEu48k/eMBIkTUd4OoqdVpI2ySvJIo"
    "tdq+ummrWmTJ/dISRm8BlowpvQVYXkb0FmBZmHiR7BDZkN/x5ga9J2udwDzYpaoyzflKcr"
    "rKGHZa/W9uRaFBbhu7AOgS7kZQ81vQMIsswO7Se/sEse6aQtB0RApzvd/Ca1tkBq0ctt6v"
    "C4AMYISx52GwjamPDAdEyIiAbRlg6sfIsFEEnce+gWdDI/SfjACGRoQnTss4OjaeFtAzYo"
    "/+D60ffuxVuNv6D/zbCyGwjOnS+CN5YgM/sYMWf7zp9TdyM+kvcIVa48tVNlHHxxycnF2c"
    "vT09P8tfq7xk1bu13ntM4Jph548jEtaAnFupFPvbEOnSPIEf/QksSRDLgzMCQ93b8LErAb"
    "yGWYJnX0F6ihs4QKhXeQ93d9eM8Lq8qiaZ/Ovmcnx/dEIVF65kowYXI5otoBU7xGNLBjpB"
    "Arj2mgABApAfBML9vmSlwW4P9gJ7FSLOdFZfwWMWBsNhmxzC4bA5iZBcqwTzhFRIoN6i2N"
    "YmRiKEO8QkSmY6ICFdQEIW182PI7jwHesGulMYNjlw9Vr9Nm5cZma61G77y2+fmSUyvZdI"
    "whD2IZ6H+QrWE/RGrpc7TSQfFkXxr1pqEra1hyhHtk6I8D6ifLZUey9RtTPKtJ+IoWCVoB"
    "GWMtvXMFqsyDI+HKZYUZULffyZbPjrI4lecxiinHNJvPkNM7/4MYXDpH+/2V+lZFWOtGFT"
    "WdcKmzR/dueyppQGFkG6jyOZFSOygRYPD1+07pFS9zBktSeBMdNuauepFw/feISPoPju26"
    "qlJqEzCZYdQuEvPzJGCi4anrQ7+mrFyVfVFcPkiALhjs6YqbODad8fj0nnYUGBXzLT6l46"
    "da8zVuWMNuuM1YPPWC3OwuH4YMxBOWtdsOJonr15YAh3FO1ySepy6aXZF1NBX/HTioj8rL"
    "6C+n773xXA/pAd2F1USNVSh/K7dnDPR5wU0uZPOmT1VUgfXaXmd/IlB99DXJ234gsahcn+"
    "hpReTxHAE1kjMHznBnsEO4CeleZGHOIgDhCCbsA79q85ElkyUeZ87K3t7iaJhCYMQz/EkF"
    "mc7tuIK8dSoYlxFwAjPPCKDMccUz0RdviIVzIAmPQ70532EfBb0CeCyxxwtCD5snvYie+q"
    "rWZaaqbdzudo1UwVmsH2fVZTspND/Jgmxk7jr8AuOcn4UGms08toehlNIh4OfRmt9K0Ezj"
    "oa+yWFtQtp6ecbtr+SVl46Ax4CNMm0b5SKmQi1zj+VZvTor1hny6kU4qBspYfyzmrphReD"
    "NAm9ZHXHxtZdNGvFVItWmUWrjjHrGLNEr88OY8x6XWqrXTqLu4vPDxxzPUfIPEfQQ3Y77g"
    "Kv2mqmpWcaq2hof+sk/Xj2mnGZGddBSx20lIiHww9aMh8t5QYuq581bRG8zE12GsDUh+RJ"
    "N1r0VwQpdTLAC6b9RoEDlib9v4b/qsxf1k7B5ICT43bZv6vSf2tbS/MvqsShI4J31U6F8A"
    "kL9/Bk0AJuXKsRbnqtngrACZc045wbKAhwq/48XNGfh/X+/B/f9jo5WIyhTqvWrpX8lGrX"
    "Sg4eDt21GsHQni16HJcqvdJf5UqBoo40R3S+Fj9pZ19c+gbDSPDsnZKJguJ7J5/rIC+VAM"
    "JpdQXR3Ylr05gK+s+Hu1vRVFDLniHjfwZxeQ4Q7RXgEjBWLwxX14Argo40cPnS30X8/n/d"
    "tpgX"
)
