"""Bronze: contracts, readers, validation (a fast Arrow path and a record-by-record one), the exactly-once
bronze writer with its quarantine, and the landing area."""
