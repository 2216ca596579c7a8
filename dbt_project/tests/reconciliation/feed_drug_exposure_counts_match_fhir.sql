-- For every person of the OMOP feed, the feed and the OMOP built from FHIR have the same number
-- of drug_exposure rows.
{{ feed_count_mismatches('stg_omop_feed__drug_exposures', 'drug_exposure') }}
