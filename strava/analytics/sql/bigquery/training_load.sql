-- training_load: one row per day from the first day with a TSS to today (UTC): TSS, CTL, ATL, TSB.
-- CTL_t = CTL_{t-1} + (TSS_t - CTL_{t-1}) / 42 with CTL = 0 before the first day has the closed form
-- CTL_t = sum over days i <= t of TSS_i / 42 * (41/42)^(t - i); ATL likewise with 7. Days more than
-- 1500 days back weigh below 1e-15 and are left out of the sum. No FTP set -> no TSS -> no rows.
-- An activity's stress is its stream-based one (activity_stream_metrics) where it exists, else the estimate
-- from the summary's weighted power, else (no power) its heart-rate stress, TRIMP.
WITH stress AS (
  SELECT f.local_date, COALESCE(m.stress, f.tss, m.trimp) AS tss
  FROM `${project}.${dataset}.activity_facts` f
  LEFT JOIN `${project}.${dataset}.activity_stream_metrics` m ON m.activity_id = f.id
),
daily AS (
  SELECT local_date AS day, SUM(tss) AS tss
  FROM stress
  WHERE tss IS NOT NULL
  GROUP BY local_date
),
bounds AS (
  SELECT MIN(day) AS first_day, GREATEST(MAX(day), CURRENT_DATE()) AS last_day
  FROM daily
),
days AS (
  SELECT day
  FROM bounds, UNNEST(GENERATE_DATE_ARRAY(first_day, last_day)) AS day
),
load AS (
  SELECT
    d.day,
    SUM(s.tss * POW(41.0 / 42.0, DATE_DIFF(d.day, s.day, DAY))) / 42.0 AS ctl,
    SUM(s.tss * POW(6.0 / 7.0, DATE_DIFF(d.day, s.day, DAY))) / 7.0 AS atl
  FROM days d
  JOIN daily s ON s.day BETWEEN DATE_SUB(d.day, INTERVAL 1500 DAY) AND d.day
  GROUP BY d.day
)
SELECT
  d.day,
  COALESCE(t.tss, 0) AS tss,
  COALESCE(l.ctl, 0) AS ctl,
  COALESCE(l.atl, 0) AS atl,
  COALESCE(l.ctl, 0) - COALESCE(l.atl, 0) AS tsb
FROM days d
LEFT JOIN daily t ON t.day = d.day
LEFT JOIN load l ON l.day = d.day
