"""The APScheduler 3.x adapter: job ids, date jobs derived from the database, inspection.

Nothing here decides *what* is due: `ratmas.services.schedule` does, for the scheduler
and for `ratmas jobs` alike.
"""
