"""Pure domain: statuses, the lifecycle machine, dates, pairing and errors.

Nothing here imports nextcord, tortoise, apscheduler or any other package of ours.
"""
