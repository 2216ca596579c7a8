-- For every person of the OMOP feed, the feed and the OMOP built from FHIR have the same number
-- of condition_occurrence rows.
{{ feed_count_mismatches('stg_omop_feed__condition_occurrences', 'condition_occurrence') }}
