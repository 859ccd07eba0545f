"""Force HQ on PostgreSQL (issue 17): ingest the stations' and CSUs' transfer bundles into one database
and compute Part A across boroughs. Qt-free; psycopg 3 only here.

- ``db``: connection, HQ's own migrations (``hq/migrations``).
- ``unit``: HQ's transfer unit key (bundles are encrypted to it), its data and index keys, the units
  whose bundles it accepts.
- ``ingest``: bundles -> ``hq_records`` (reporting values, the victim index, sealed content), merged by
  record id and version vector like a station does.
- ``figures``: Part A for a borough (or the force) with the same pure functions the stations use
  (``reporting.parta``), so the figures agree by construction; tests compare every figure.
"""
