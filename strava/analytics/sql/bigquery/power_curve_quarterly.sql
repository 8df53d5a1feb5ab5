-- power_curve_quarterly: per calendar quarter (of the local start date) and standard duration, the best mean
-- power of the quarter's activities and the activity that set it (the earliest one on a tie).
WITH curve AS (
  SELECT
    c.activity_id,
    c.duration_s,
    c.watts,
    f.local_date
  FROM `${project}.${dataset}.activity_power_curve` c
  JOIN `${project}.${dataset}.activity_facts` f ON f.id = c.activity_id
),
dated AS (
  SELECT
    *,
    DATE(EXTRACT(YEAR FROM local_date), 3 * EXTRACT(QUARTER FROM local_date) - 2, 1) AS quarter_start
  FROM curve
),
ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY quarter_start, duration_s ORDER BY watts DESC, local_date, activity_id
    ) AS place
  FROM dated
)
SELECT quarter_start, duration_s, watts, activity_id
FROM ranked
WHERE place = 1
