"""Native sources: events as GitHub, PagerDuty and Jira send them, mapped onto the domains' contracts.

Each source has an adapter (one module each) that turns one payload into its outcomes (one, or one per change a
Jira changelog holds): a canonical record of a domain (then validated, deduplicated and stored like any other), a
quarantine reason, or ``ignored:<kind>`` for events that carry nothing for the marts (counted, never silently
dropped). Which tenant, service or team a
repository, PagerDuty service or Jira project belongs to is the reviewed seed ``sources/source_tenants``.
"""
