-- weekly_summary: one row per Monday week x sport, plus sport_type = 'all', on a calendar spine running
-- from the first activity's week to the current week (UTC today): quiet weeks are zeros, not gaps.
WITH facts AS (
  SELECT * FROM `${project}.${dataset}.activity_facts` WHERE week_start IS NOT NULL
),
bounds AS (
  SELECT
    MIN(week_start) AS first_week,
    GREATEST(MAX(week_start), DATE_SUB(CURRENT_DATE(), INTERVAL CAST(FORMAT_DATE('%u', CURRENT_DATE()) AS INT64) - 1 DAY)) AS last_week
  FROM facts
),
weeks AS (
  SELECT week_start
  FROM bounds, UNNEST(GENERATE_DATE_ARRAY(first_week, last_week, INTERVAL 1 WEEK)) AS week_start
),
sports AS (
  SELECT DISTINCT sport_type FROM facts
  UNION ALL
  SELECT 'all'
),
tagged AS (  -- every activity counts once for its sport and once for 'all'
  SELECT sport_type AS bucket, * FROM facts
  UNION ALL
  SELECT 'all' AS bucket, * FROM facts
),
agg AS (
  SELECT
    week_start,
    bucket AS sport_type,
    COUNT(*) AS activity_count,
    SUM(distance_km) AS distance_km,
    SUM(moving_time_h) AS moving_time_h,
    SUM(elevation_m) AS elevation_m,
    SUM(equivalent_flat_km) AS equivalent_flat_km,
    SUM(wind_adjusted_flat_km) AS wind_adjusted_flat_km,
    SUM(work_kj) AS work_kj,
    SUM(tss) AS tss,
    -- power averages use power-meter data only, weighted by moving time
    SUM(CASE WHEN device_watts AND avg_watts IS NOT NULL THEN avg_watts * moving_time_s END) AS watt_s,
    SUM(CASE WHEN device_watts AND avg_watts IS NOT NULL THEN moving_time_s END) AS watt_time_s,
    SUM(CASE WHEN device_watts AND weighted_avg_watts IS NOT NULL THEN weighted_avg_watts * moving_time_s END)
      AS weighted_watt_s,
    SUM(CASE WHEN device_watts AND weighted_avg_watts IS NOT NULL THEN moving_time_s END) AS weighted_watt_time_s
  FROM tagged
  GROUP BY week_start, bucket
),
spine AS (
  SELECT
    w.week_start,
    s.sport_type,
    COALESCE(a.activity_count, 0) AS activity_count,
    COALESCE(a.distance_km, 0) AS distance_km,
    COALESCE(a.moving_time_h, 0) AS moving_time_h,
    COALESCE(a.elevation_m, 0) AS elevation_m,
    COALESCE(a.equivalent_flat_km, 0) AS equivalent_flat_km,
    COALESCE(a.wind_adjusted_flat_km, 0) AS wind_adjusted_flat_km,
    COALESCE(a.work_kj, 0) AS work_kj,
    COALESCE(a.tss, 0) AS tss,
    COALESCE(a.watt_s, 0) AS watt_s,
    COALESCE(a.watt_time_s, 0) AS watt_time_s,
    COALESCE(a.weighted_watt_s, 0) AS weighted_watt_s,
    COALESCE(a.weighted_watt_time_s, 0) AS weighted_watt_time_s
  FROM weeks w
  CROSS JOIN sports s
  LEFT JOIN agg a ON a.week_start = w.week_start AND a.sport_type = s.sport_type
)
SELECT
  week_start,
  sport_type,
  CAST(EXTRACT(YEAR FROM week_start) AS INT64) AS year,
  activity_count,
  distance_km,
  moving_time_h,
  elevation_m,
  CASE WHEN watt_time_s > 0 THEN watt_s / watt_time_s END AS avg_watts,
  CASE WHEN weighted_watt_time_s > 0 THEN weighted_watt_s / weighted_watt_time_s END AS weighted_avg_watts,
  equivalent_flat_km,
  wind_adjusted_flat_km,
  work_kj,
  tss,
  -- the parts of the power averages, for re-aggregating over other periods (Looker Studio: sum / sum)
  watt_s AS power_watt_seconds,
  watt_time_s AS power_seconds,
  weighted_watt_s AS weighted_power_watt_seconds,
  weighted_watt_time_s AS weighted_power_seconds,
  AVG(distance_km) OVER last4 AS distance_km_ma4,
  AVG(elevation_m) OVER last4 AS elevation_m_ma4,
  AVG(equivalent_flat_km) OVER last4 AS equivalent_flat_km_ma4,
  CASE WHEN SUM(watt_time_s) OVER last4 > 0 THEN SUM(watt_s) OVER last4 / SUM(watt_time_s) OVER last4 END
    AS avg_watts_ma4,
  CASE WHEN SUM(weighted_watt_time_s) OVER last4 > 0
    THEN SUM(weighted_watt_s) OVER last4 / SUM(weighted_watt_time_s) OVER last4 END AS weighted_avg_watts_ma4,
  SUM(distance_km) OVER (PARTITION BY sport_type, EXTRACT(YEAR FROM week_start) ORDER BY week_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS distance_km_ytd,
  SUM(elevation_m) OVER (PARTITION BY sport_type, EXTRACT(YEAR FROM week_start) ORDER BY week_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS elevation_m_ytd,
  SUM(distance_km) OVER (PARTITION BY sport_type ORDER BY week_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS distance_km_total,
  SUM(elevation_m) OVER (PARTITION BY sport_type ORDER BY week_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS elevation_m_total
FROM spine
WINDOW last4 AS (PARTITION BY sport_type ORDER BY week_start ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)
