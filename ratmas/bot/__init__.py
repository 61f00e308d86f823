"""The nextcord shell: the client, thin cogs, persistent views, rendering and the Discord port."""
