{#-
    A double as text in plain notation (`102.3`, `5.0`, `-36.6`), as a source value column keeps
    it. DuckDB's cast writes that; Trino's cast writes scientific notation (`1.023E2`), which
    `just parity --engine trino` caught in OMOP value_source_value and sqlglot did not. Trino's
    format('%s') writes Java's shortest text, the same digits as DuckDB's in plain notation for
    magnitudes from 0.001 to below 10,000,000: lab values and vital signs. Outside that range
    Java writes `1.0E7` where DuckDB writes `10000000.0`: the same number, another notation.
-#}
{% macro number_as_text(value) -%}
    {{ return(adapter.dispatch('number_as_text', 'healthlake')(value)) }}
{%- endmacro %}

{% macro default__number_as_text(value) -%}
    cast({{ value }} as varchar)
{%- endmacro %}

{% macro trino__number_as_text(value) -%}
    case
        when abs({{ value }}) < 1e7 and (abs({{ value }}) >= 1e-3 or {{ value }} = 0)
            then format('%s', {{ value }})
        else cast({{ value }} as varchar)
    end
{%- endmacro %}

{#- Athena's engine is Trino: it runs what `just parity --engine trino` proves on a real Trino. -#}
{% macro athena__number_as_text(value) -%}
    {{ healthlake.trino__number_as_text(value) }}
{%- endmacro %}
