-- The one model that selects from the delivery source; the four delivery staging models select from it.
-- The delta plugin copies a source into the warehouse each time a model selecting from it is compiled,
-- so four models doing that in parallel threads fail with a DuckDB write-write conflict on silver.delivery.
select * from {{ source('silver', 'delivery') }}
