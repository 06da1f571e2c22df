{#- Generic tests of the evidence seeds and marts (issue 9), written here because dbt hub packages
    cannot be installed offline. -#}

{#- A pilot row must name a service, activities or an archetype, end on or after it starts and keep
    a share of labour time within [0, 1]. A minutes row without a baseline is accepted: it is kept
    in scoring.fct_pilot_evidence_used as unusable, with the reason, until the baseline is found. -#}
{% test pilot_rows_are_complete(model) %}
select *
from {{ model }}
where (service_key is null and archetype_id is null and activity_ids is null)
   or end_date < start_date
   or (measure = 'labour_time_share_saved' and measured_value > 1)
{% endtest %}

{#- Every activity a pilot names (semicolon-separated activity_ids) is an activity of the production
    model (seeds/activities.csv). -#}
{% test pilot_activities_are_known(model) %}
with named as (
    select evidence_id, trim(unnest(string_split(activity_ids, ';'))) as activity_id
    from {{ model }}
    where activity_ids is not null
)
select named.*
from named
left join {{ ref('activities') }} as activities
    on activities.activity_id = named.activity_id
where activities.activity_id is null
{% endtest %}

{#- The quality rating follows the design, as docs/evidence.md defines it: randomised or controlled
    before-after is high; before-after or self-reported is medium; a vendor claim, an anecdote or an
    unpublished method is low. -#}
{% test pilot_quality_follows_design(model) %}
select *
from {{ model }}
where quality_rating <> case
        when design in ('randomised', 'controlled_before_after') then 'high'
        when design in ('before_after', 'self_reported') then 'medium'
        else 'low'
    end
{% endtest %}

{#- A link that a reader can follow: http or https. -#}
{% test url_is_http(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and not regexp_matches({{ column_name }}, '^https?://[^ ]+$')
{% endtest %}

{#- Shares of a whole that must add up to 1 (within tolerance) where the whole is known. -#}
{% test shares_add_up(model, share_columns, where_column, tolerance=1e-9) %}
select *
from {{ model }}
where {{ where_column }}
  and abs(({{ share_columns | join(' + ') }}) - 1) > {{ tolerance }}
{% endtest %}
