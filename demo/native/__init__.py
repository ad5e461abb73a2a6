"""The demo's canonical records as the native sources would have sent them (GitHub, PagerDuty, Jira webhooks)."""
