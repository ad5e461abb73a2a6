"""Webhooks: the sources opslake receives (GitHub, PagerDuty, Jira), how each signs, and the receiver that lands
their deliveries durably under ``landing/<source>/`` before it answers."""
