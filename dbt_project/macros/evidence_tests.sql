{#- Generic tests of the evidence seeds and marts (issue 9), written here because dbt hub packages
    cannot be installed offline. -#}

{#- A pilot row must name a service or an archetype, end on or after it starts, give a baseline
    for minutes saved and keep a share of labour time within [0, 1]. -#}
{% test pilot_rows_are_complete(model) %}
select *
from {{ model }}
where (service_key is null and archetype_id is null)
   or end_date < start_date
   or (measure = 'minutes_saved_per_transaction'
       and (baseline_minutes_per_transaction is null or baseline_minutes_per_transaction <= 0))
   or (measure = 'labour_time_share_saved' and measured_value > 1)
{% endtest %}

{#- Shares of a whole that must add up to 1 (within tolerance) where the whole is known. -#}
{% test shares_add_up(model, share_columns, where_column, tolerance=1e-9) %}
select *
from {{ model }}
where {{ where_column }}
  and abs(({{ share_columns | join(' + ') }}) - 1) > {{ tolerance }}
{% endtest %}
