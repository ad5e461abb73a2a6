"""The demo's canonical records as the native sources (GitHub, PagerDuty, Jira) would send them."""
