-- quarterly_summary: one row per calendar quarter x sport (plus 'all') on a spine from the first activity's
-- quarter to the current one, with the change against the previous quarter and the same quarter a year before.
WITH facts AS (
  SELECT * FROM `${project}.${dataset}.activity_facts` WHERE quarter_start IS NOT NULL
),
bounds AS (
  SELECT
    MIN(quarter_start) AS first_quarter,
    GREATEST(MAX(quarter_start), DATE(EXTRACT(YEAR FROM CURRENT_DATE()), 3 * EXTRACT(QUARTER FROM CURRENT_DATE()) - 2, 1))
      AS last_quarter
  FROM facts
),
quarters AS (
  SELECT quarter_start
  FROM bounds,
    UNNEST(GENERATE_DATE_ARRAY(first_quarter, last_quarter, INTERVAL 1 QUARTER)) AS quarter_start
),
sports AS (
  SELECT DISTINCT sport_type FROM facts
  UNION ALL
  SELECT 'all'
),
tagged AS (
  SELECT sport_type AS bucket, * FROM facts
  UNION ALL
  SELECT 'all' AS bucket, * FROM facts
),
agg AS (
  SELECT
    quarter_start,
    bucket AS sport_type,
    COUNT(*) AS activity_count,
    SUM(distance_km) AS distance_km,
    SUM(moving_time_h) AS moving_time_h,
    SUM(elevation_m) AS elevation_m,
    SUM(equivalent_flat_km) AS equivalent_flat_km,
    SUM(wind_adjusted_flat_km) AS wind_adjusted_flat_km,
    SUM(work_kj) AS work_kj,
    SUM(CASE WHEN device_watts AND avg_watts IS NOT NULL THEN avg_watts * moving_time_s END) AS watt_s,
    SUM(CASE WHEN device_watts AND avg_watts IS NOT NULL THEN moving_time_s END) AS watt_time_s
  FROM tagged
  GROUP BY quarter_start, bucket
),
spine AS (
  SELECT
    q.quarter_start,
    s.sport_type,
    COALESCE(a.activity_count, 0) AS activity_count,
    COALESCE(a.distance_km, 0) AS distance_km,
    COALESCE(a.moving_time_h, 0) AS moving_time_h,
    COALESCE(a.elevation_m, 0) AS elevation_m,
    COALESCE(a.equivalent_flat_km, 0) AS equivalent_flat_km,
    COALESCE(a.wind_adjusted_flat_km, 0) AS wind_adjusted_flat_km,
    COALESCE(a.work_kj, 0) AS work_kj,
    CASE WHEN a.watt_time_s > 0 THEN a.watt_s / a.watt_time_s END AS avg_watts
  FROM quarters q
  CROSS JOIN sports s
  LEFT JOIN agg a ON a.quarter_start = q.quarter_start AND a.sport_type = s.sport_type
),
compared AS (  -- the spine has no holes, so LAG 1 is the previous quarter and LAG 4 the year before
  SELECT
    *,
    LAG(activity_count, 1) OVER by_sport AS activity_count_prev_quarter,
    LAG(distance_km, 1) OVER by_sport AS distance_km_prev_quarter,
    LAG(elevation_m, 1) OVER by_sport AS elevation_m_prev_quarter,
    LAG(avg_watts, 1) OVER by_sport AS avg_watts_prev_quarter,
    LAG(activity_count, 4) OVER by_sport AS activity_count_prev_year,
    LAG(distance_km, 4) OVER by_sport AS distance_km_prev_year,
    LAG(elevation_m, 4) OVER by_sport AS elevation_m_prev_year,
    LAG(avg_watts, 4) OVER by_sport AS avg_watts_prev_year
  FROM spine
  WINDOW by_sport AS (PARTITION BY sport_type ORDER BY quarter_start)
)
SELECT
  quarter_start,
  sport_type,
  CAST(EXTRACT(YEAR FROM quarter_start) AS INT64) AS year,
  CAST(EXTRACT(QUARTER FROM quarter_start) AS INT64) AS quarter,
  CONCAT(CAST(EXTRACT(YEAR FROM quarter_start) AS STRING), '-Q', CAST(EXTRACT(QUARTER FROM quarter_start) AS STRING))
    AS quarter_label,
  activity_count,
  distance_km,
  moving_time_h,
  elevation_m,
  equivalent_flat_km,
  wind_adjusted_flat_km,
  work_kj,
  avg_watts,
  activity_count - activity_count_prev_quarter AS activity_count_vs_prev_quarter,
  distance_km - distance_km_prev_quarter AS distance_km_vs_prev_quarter,
  elevation_m - elevation_m_prev_quarter AS elevation_m_vs_prev_quarter,
  avg_watts - avg_watts_prev_quarter AS avg_watts_vs_prev_quarter,
  CASE WHEN distance_km_prev_quarter > 0
    THEN 100.0 * (distance_km - distance_km_prev_quarter) / distance_km_prev_quarter END
    AS distance_km_pct_vs_prev_quarter,
  activity_count - activity_count_prev_year AS activity_count_vs_prev_year,
  distance_km - distance_km_prev_year AS distance_km_vs_prev_year,
  elevation_m - elevation_m_prev_year AS elevation_m_vs_prev_year,
  avg_watts - avg_watts_prev_year AS avg_watts_vs_prev_year,
  CASE WHEN distance_km_prev_year > 0
    THEN 100.0 * (distance_km - distance_km_prev_year) / distance_km_prev_year END AS distance_km_pct_vs_prev_year
FROM compared
