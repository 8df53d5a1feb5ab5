-- activity_facts: one row per activity with friendly, typed columns (docs/dashboards.md).
-- Calendar columns come from start_date_local (the athlete's wall clock); weeks start on Monday.
WITH params AS (
  -- Flat kilometres one 100 m of climbing is worth (view_sql() can override both):
  -- on foot 1.0 = ITRA "km-effort" (Minetti et al. 2002: 100 m up costs about what 1 km on the flat does);
  -- cycling 4.0 = work-equivalent from the Martin et al. (1998) road-cycling power model.
  SELECT 1.0 AS foot_km_per_100m, 4.0 AS ride_km_per_100m,
  -- Wind on a ride (docs/dashboards.md "Wind-adjusted effort"): rolling resistance coefficient, and the drag
  -- area, bike mass and rider mass used until athlete_settings sets cda_m2, bike_kg, weight_kg (view_sql()
  -- can override them all).
    0.32 AS cda_m2, 0.005 AS crr, 9.0 AS bike_kg, 75.0 AS rider_kg
),
ftp_history AS (  -- the FTP in force from effective_from until the next row that sets one
  SELECT effective_from, ftp, LEAD(effective_from) OVER (ORDER BY effective_from) AS effective_until
  FROM `${project}.${dataset}.athlete_settings`
  WHERE ftp IS NOT NULL AND ftp > 0
),
rider_history AS (  -- each of weight, CdA, bike mass in force from effective_from until the next row that sets it
  SELECT setting, value, effective_from,
    LEAD(effective_from) OVER (PARTITION BY setting ORDER BY effective_from) AS effective_until
  FROM (
    SELECT 'weight_kg' AS setting, weight_kg AS value, effective_from FROM `${project}.${dataset}.athlete_settings`
    UNION ALL SELECT 'cda_m2', cda_m2, effective_from FROM `${project}.${dataset}.athlete_settings`
    UNION ALL SELECT 'bike_kg', bike_kg, effective_from FROM `${project}.${dataset}.athlete_settings`
  ) s
  WHERE value IS NOT NULL AND value > 0
),
base AS (
  SELECT
    a.*,
    -- the UTC date is a fallback for rows without a local time
    COALESCE(DATE(a.start_date_local), DATE(a.start_date, 'UTC')) AS local_date,
    COALESCE(a.sport_type, a.type, 'Unknown') AS sport,
    COALESCE(a.device_watts, FALSE) AS has_power_meter
  FROM `${project}.${dataset}.activities` a
),
ftp_on_date AS (  -- a range join, kept INNER: BigQuery can refuse outer joins without an equality
  SELECT b.id, h.ftp
  FROM base b
  JOIN ftp_history h
    ON b.local_date >= h.effective_from AND b.local_date < COALESCE(h.effective_until, DATE '9999-12-31')
),
rider_on_date AS (  -- NULL where no row sets it yet (the params default applies)
  SELECT b.id,
    MAX(CASE WHEN h.setting = 'weight_kg' THEN h.value END) AS weight_kg,
    MAX(CASE WHEN h.setting = 'cda_m2' THEN h.value END) AS cda_m2,
    MAX(CASE WHEN h.setting = 'bike_kg' THEN h.value END) AS bike_kg
  FROM base b
  JOIN rider_history h
    ON b.local_date >= h.effective_from AND b.local_date < COALESCE(h.effective_until, DATE '9999-12-31')
  GROUP BY b.id
),
measured AS (
  SELECT
    b.*,
    CAST(CASE
      WHEN b.sport IN ('Run', 'TrailRun', 'VirtualRun', 'Walk', 'Hike', 'Snowshoe', 'BackcountrySki')
        THEN p.foot_km_per_100m
      WHEN b.sport LIKE '%Ride' OR b.sport IN ('Handcycle', 'Velomobile') THEN p.ride_km_per_100m
      ELSE 0.0
    END AS FLOAT64) AS flat_km_per_100m,
    f.ftp AS ftp_w,
    CASE WHEN b.has_power_meter AND b.weighted_average_watts IS NOT NULL AND f.ftp IS NOT NULL
      THEN b.weighted_average_watts / f.ftp END AS if_value,
    w.temperature_c, w.wind_speed_ms, w.wind_from_deg, w.wind_gust_ms, w.precipitation_mm,
    w.headwind_ms, w.crosswind_ms, w.headwind_share,
    -- resistance riding in this wind and air over riding still air (15 °C, sea level) at the same speed v:
    -- (½ρ·CdA·mean((v+h)²) + Crr·m·g) / (½ρ₀·CdA·v² + Crr·m·g), with mean((v+h)²) = v² + 2v·mean(h) + mean(h²)
    CASE WHEN w.headwind_ms IS NOT NULL AND b.moving_time > 0 AND b.distance > 0
      AND (b.sport LIKE '%Ride' OR b.sport IN ('Handcycle', 'Velomobile')) THEN
      (0.5 * 101325.0 / (287.05 * (COALESCE(w.temperature_c, 15.0) + 273.15)) * COALESCE(r.cda_m2, p.cda_m2)
         * (POW(b.distance / b.moving_time, 2) + 2 * b.distance / b.moving_time * w.headwind_ms
            + COALESCE(w.headwind_sq_ms2, POW(w.headwind_ms, 2)))
       + p.crr * (COALESCE(r.weight_kg, p.rider_kg) + COALESCE(r.bike_kg, p.bike_kg)) * 9.80665)
      / (0.5 * 1.225 * COALESCE(r.cda_m2, p.cda_m2) * POW(b.distance / b.moving_time, 2)
         + p.crr * (COALESCE(r.weight_kg, p.rider_kg) + COALESCE(r.bike_kg, p.bike_kg)) * 9.80665)
    END AS wind_factor
  FROM base b
  CROSS JOIN params p
  LEFT JOIN ftp_on_date f ON f.id = b.id
  LEFT JOIN rider_on_date r ON r.id = b.id
  LEFT JOIN `${project}.${dataset}.activity_weather` w ON w.activity_id = b.id AND w.status = 'ok'
)
SELECT
  id,
  name,
  sport AS sport_type,
  start_date,
  start_date_local,
  local_date,
  -- Monday: DATE_TRUNC(.., WEEK(MONDAY)) and ISOWEEK are wrong on the bqemulator used in tests
  DATE_SUB(local_date, INTERVAL CAST(FORMAT_DATE('%u', local_date) AS INT64) - 1 DAY) AS week_start,
  DATE(EXTRACT(YEAR FROM local_date), EXTRACT(MONTH FROM local_date), 1) AS month_start,
  DATE(EXTRACT(YEAR FROM local_date), 3 * EXTRACT(QUARTER FROM local_date) - 2, 1) AS quarter_start,
  CAST(EXTRACT(YEAR FROM local_date) AS INT64) AS year,
  CAST(EXTRACT(QUARTER FROM local_date) AS INT64) AS quarter,
  CAST(EXTRACT(MONTH FROM local_date) AS INT64) AS month,
  CAST(EXTRACT(DAYOFYEAR FROM local_date) AS INT64) AS day_of_year,
  COALESCE(distance, 0) / 1000.0 AS distance_km,
  COALESCE(moving_time, 0) AS moving_time_s,
  COALESCE(moving_time, 0) / 3600.0 AS moving_time_h,
  elapsed_time / 3600.0 AS elapsed_time_h,
  COALESCE(total_elevation_gain, 0) AS elevation_m,
  CASE WHEN moving_time > 0 THEN distance / moving_time * 3.6 END AS avg_speed_kmh,
  CASE WHEN distance > 0 THEN COALESCE(total_elevation_gain, 0) / (distance / 1000.0) END AS climb_m_per_km,
  flat_km_per_100m,
  COALESCE(distance, 0) / 1000.0 + COALESCE(total_elevation_gain, 0) / 100.0 * flat_km_per_100m
    AS equivalent_flat_km,
  -- the same with the ride's flat kilometres scaled by wind and air density (1 without weather or off a bike)
  COALESCE(distance, 0) / 1000.0 * COALESCE(wind_factor, 1.0)
    + COALESCE(total_elevation_gain, 0) / 100.0 * flat_km_per_100m AS wind_adjusted_flat_km,
  wind_factor,
  average_watts AS avg_watts,
  weighted_average_watts AS weighted_avg_watts,
  max_watts,
  has_power_meter AS device_watts,
  CASE WHEN average_watts IS NULL THEN NULL WHEN has_power_meter THEN 'device' ELSE 'estimated' END
    AS power_source,
  COALESCE(kilojoules, average_watts * moving_time / 1000.0) AS work_kj,
  average_heartrate AS avg_heartrate,
  max_heartrate,
  ftp_w AS ftp,
  if_value AS intensity_factor,
  moving_time * weighted_average_watts * if_value / (ftp_w * 3600.0) * 100.0 AS tss,
  start_lat,
  start_lng,
  CASE WHEN start_lat IS NOT NULL AND start_lng IS NOT NULL
    THEN CONCAT(CAST(start_lat AS STRING), ',', CAST(start_lng AS STRING)) END AS start_latlng,
  COALESCE(trainer, FALSE) AS trainer,
  COALESCE(commute, FALSE) AS commute,
  gear_id,
  -- weather along the route (activity_weather; Open-Meteo, CC BY 4.0): NULL indoors or not fetched yet
  temperature_c,
  wind_speed_ms,
  wind_from_deg,
  wind_gust_ms,
  precipitation_mm,
  headwind_ms,
  crosswind_ms,
  headwind_share
FROM measured
