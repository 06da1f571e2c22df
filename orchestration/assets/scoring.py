"""Scoring assets: thin wrappers that read marts, call pure polars functions from `scoring/`, and
write `scoring.<table>` in one transaction."""


import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from scoring.allocation import allocate_programme_costs, services_without_links

OWNER = "team:atlas-economics"
SCHEMA = "scoring"


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Replace scoring.<name> atomically: readers see the old table or the new, never half."""
    arrow = frame.to_arrow()  # noqa: F841 - referenced by name in the SQL below
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(f'CREATE OR REPLACE TABLE {SCHEMA}."{name}" AS SELECT * FROM arrow')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def table_metadata(frame: pl.DataFrame) -> dict[str, object]:
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(n, str(t)) for n, t in frame.schema.items()]
        ),
        "preview": dg.MetadataValue.md(frame.head(10).to_pandas().to_markdown(index=False)),
    }


@dg.asset(
    key=["scoring", "ca_service_cost_allocation"],
    group_name="scoring",
    owners=[OWNER],
    kinds={"polars", "duckdb"},
    deps=[["marts", "fct_ca_service_programme"], ["marts", "fct_ca_service"]],
    description=(
        "One row per Canadian service and fiscal year: its share of its programmes' actual spending "
        "(CAD, nominal) and FTEs, allocated in proportion to applications (assumption A001), and "
        "the cost per application. Services without volumes or programmes stay, with null figures "
        "and a reason in cost_null_reason."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "allocation_conserves_programme_spending",
            asset=dg.AssetKey(["scoring", "ca_service_cost_allocation"]),
            description="For every programme with services that report applications, the "
            "allocated spending adds back to the programme's actual spending (1e-6 relative).",
            blocking=True,
        ),
        dg.AssetCheckSpec(
            "one_row_per_service",
            asset=dg.AssetKey(["scoring", "ca_service_cost_allocation"]),
            description="Exactly one row per service and fiscal year of marts.fct_ca_service.",
            blocking=True,
        ),
    ],
)
def ca_service_cost_allocation(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
    with warehouse.get_connection() as con:
        links = con.sql("SELECT * FROM marts.fct_ca_service_programme").pl()
        services = con.sql(
            "SELECT service_key, service_id, fiscal_year, applications_total FROM marts.fct_ca_service"
        ).pl()
        allocated = allocate_programme_costs(links)
        frame = pl.concat([allocated, services_without_links(services, allocated)]).sort(
            "service_key", "fiscal_year"
        )
        conservation = conservation_gaps(links, frame)
        same_rows = frame.height == services.height and frame.select(
            pl.struct("service_key", "fiscal_year").is_unique().all()
        ).item()
        yield dg.AssetCheckResult(
            check_name="allocation_conserves_programme_spending",
            passed=conservation.is_empty(),
            metadata={
                "programmes_off": conservation.height,
                "sample": dg.MetadataValue.json(conservation.head(5).to_dicts()),
            },
        )
        yield dg.AssetCheckResult(
            check_name="one_row_per_service",
            passed=bool(same_rows),
            metadata={"rows": frame.height, "services": services.height},
        )
        if not conservation.is_empty() or not same_rows:
            raise dg.Failure("cost allocation failed its checks; scoring table not written")
        write_table(con, "ca_service_cost_allocation", frame)
    context.log.info(f"allocated costs for {frame.height} services")
    yield dg.MaterializeResult(metadata=table_metadata(frame))


def conservation_gaps(links: pl.DataFrame, allocated: pl.DataFrame) -> pl.DataFrame:
    """Programmes whose allocated spending does not add back to their actual spending."""
    key = ["fiscal_year", "organisation_id", "programme_id"]
    with_volume = links.filter(
        pl.col("is_programme_matched")
        & (pl.col("applications_total").fill_null(0) > 0)
        & (pl.col("programme_actual_spending_cad") > 0)  # net or zero spending is not allocated
    )
    apps = with_volume.group_by(key).agg(pl.col("applications_total").sum().alias("apps"))
    joined = with_volume.join(apps, on=key).with_columns(
        (pl.col("applications_total") / pl.col("apps") * pl.col("programme_actual_spending_cad"))
        .alias("share_spending")
    )
    # recompute per programme from the service totals to check the service table adds up
    per_service_total = joined.group_by("service_key", "fiscal_year").agg(
        pl.col("share_spending").sum().alias("expected")
    )
    check = per_service_total.join(
        allocated.select("service_key", "fiscal_year", "allocated_spending_cad"),
        on=["service_key", "fiscal_year"],
        how="left",
    )
    off_services = check.filter(
        (pl.col("allocated_spending_cad").fill_null(0) - pl.col("expected")).abs()
        > 1e-6 * pl.col("expected").abs().clip(lower_bound=1.0)
    )
    programme_totals = joined.group_by(key).agg(
        pl.col("share_spending").sum().alias("allocated"),
        pl.col("programme_actual_spending_cad").first().alias("actual"),
    )
    off_programmes = programme_totals.filter(
        (pl.col("allocated") - pl.col("actual")).abs()
        > 1e-6 * pl.col("actual").abs().clip(lower_bound=1.0)
    )
    return pl.concat(
        [
            off_programmes.select(pl.concat_str(key, separator="/").alias("what")),
            off_services.select(pl.col("service_key").alias("what")),
        ]
    )
