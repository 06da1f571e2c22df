{#- Portability between the two dbt targets, DuckDB (default) and Spark (docs/scale-out.md).
    The models are the same on both engines; where the SQL dialects differ, a model calls one of
    the macros below (or a dbt cross-database macro), and the macro dispatches per adapter. The
    spark__ implementations of dbt's own macros here take precedence over dbt-spark's because dbt
    searches the root project first. -#}


{#- A type name as the engine spells it. Contracts and seed column_types are written with DuckDB's
    names; Spark 4 rejects VARCHAR without a length, so varchar and text become string there. -#}
{% macro atlas_type(data_type) -%}
    {{ return(adapter.dispatch('atlas_type')(data_type)) }}
{%- endmacro %}

{% macro default__atlas_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro spark__atlas_type(data_type) -%}
    {%- set name = (data_type | string).strip().lower() -%}
    {%- if name in ('varchar', 'text', 'string') or name.startswith('varchar(') -%}
        {{ return('string') }}
    {%- else -%}
        {{ return(data_type) }}
    {%- endif -%}
{%- endmacro %}


{#- dbt's cast macro, which the contract check uses to cast null to each declared data_type: on
    Spark, through atlas_type, so that `data_type: varchar` in a contract means string. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ atlas_type(type) }})
{%- endmacro %}


{#- Part `part_number` (1-based; a column or a number) of `string_text` split on a literal
    delimiter; '' past the last part on both engines. dbt.split_part compares part_number with 0
    at compile time on Spark, so it only takes a number there; Spark 3.3+ has split_part itself,
    with DuckDB's semantics (literal delimiter, '' when out of range). -#}
{% macro split_part_at(string_text, delimiter_text, part_number) -%}
    {{ return(adapter.dispatch('split_part_at')(string_text, delimiter_text, part_number)) }}
{%- endmacro %}

{% macro default__split_part_at(string_text, delimiter_text, part_number) -%}
    {{ dbt.split_part(string_text, delimiter_text, part_number) }}
{%- endmacro %}

{% macro spark__split_part_at(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}


{#- Seeds on Spark. dbt-spark binds every value as a quoted string, so an empty cell becomes the
    text 'None' and a quote in a cell breaks the insert (a known upstream bug), and it creates the
    table with the column_types as written (varchar fails on Spark 4). These two overrides create
    the table with atlas_type and insert literals: null for an empty cell, escaped text otherwise,
    each cast to the column's type. -#}
{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

  {% set sql %}
    create table {{ this.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = atlas_type(column_override.get(col_name, inferred_type)) -%}
            {%- set column_name = (col_name | string) -%}
            {{ adapter.quote_seed_column(column_name, quote_seed_column) }} {{ type }} {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
    {{ partition_cols(label="partitioned by") }}
    {{ clustered_cols(label="clustered by") }}
    {{ location_clause() }}
    {{ comment_clause() }}
  {% endset %}

  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}

  {{ return(sql) }}
{% endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set types = [] %}
  {% for col_name in agate_table.column_names %}
    {% do types.append(atlas_type(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)))) %}
  {% endfor %}

  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for value in row -%}
                  {%- if value is none -%}
                    cast(null as {{ types[loop.index0] }})
                  {%- else -%}
                    cast({{ atlas_spark_string_literal(value) }} as {{ types[loop.index0] }})
                  {%- endif -%}
                  {%- if not loop.last %}, {% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {% endfor %}
      {% endset %}
      {% do adapter.add_query(sql, abridge_sql_log=True) %}
      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}

  {# Return SQL so we can render it out into the compiled files #}
  {{ return(statements[0] if statements else '') }}
{% endmacro %}

{#- A value as a Spark string literal: Spark reads backslash escapes inside literals, so both the
    backslash and the quote are escaped. -#}
{% macro atlas_spark_string_literal(value) -%}
    '{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}'
{%- endmacro %}
